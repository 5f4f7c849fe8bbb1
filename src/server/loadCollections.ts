import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Collections } from '../protocol/schema.js'

/**
 * `livecrud-server --collections ./collections.js`: the module's `collections` export (or its
 * default export), an object of one Standard Schema per collection — the same module the app's
 * client imports.
 */
export async function loadCollections(path: string): Promise<Collections> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>
  const value = mod.collections ?? mod.default
  const isSchema = (s: unknown) =>
    typeof s === 'object' &&
    s !== null &&
    typeof (s as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function'
  if (typeof value !== 'object' || value === null || !Object.values(value).every(isSchema))
    throw new Error(`${path} must export \`collections\`: an object of Standard Schemas`)
  return value as Collections
}
