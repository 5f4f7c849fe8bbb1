import { COLLECTION_PATTERN, ID_PATTERN, LivecrudError, type WriteMeta } from '../protocol/index.js'
import type { Limits } from './limits.js'

/** Keys that reach prototypes when assigned; never accepted anywhere in client data. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
])
const MUTATION_ID = /^[\x21-\x7e]{1,128}$/

function bad(message: string): LivecrudError {
  return new LivecrudError('BAD_REQUEST', message)
}

export function validateCollection(value: unknown): string {
  if (typeof value !== 'string' || !COLLECTION_PATTERN.test(value))
    throw bad(`collection must match ${COLLECTION_PATTERN}`)
  return value
}

export function validateId(value: unknown): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value))
    throw bad(`id must be a string matching ${ID_PATTERN}`)
  return value
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * Checks that `value` is plain JSON (objects with Object/null prototype, arrays, finite numbers,
 * strings, booleans, null) within the depth bound and without prototype keys. Binary attachments,
 * class instances and sparse arrays are refused. Returns an upper bound of its size as JSON in
 * UTF-8 bytes (a string counts 6 bytes per character, the longest escape), so a caller enforcing a
 * size limit needs the exact `jsonBytes` only for values near it.
 */
export function checkJson(value: unknown, maxDepth: number, path = ''): number {
  const stack: [unknown, number, string][] = [[value, 0, path]]
  let nodes = 0
  let bound = 0
  while (stack.length > 0) {
    const [v, depth, at] = stack.pop()!
    if (++nodes > 1_000_000) throw new LivecrudError('PAYLOAD_TOO_LARGE', 'too many values')
    if (v === null || typeof v === 'boolean') {
      bound += 5
      continue
    }
    if (typeof v === 'string') {
      bound += 6 * v.length + 2
      continue
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw bad(`${at || 'value'} is not a finite number`)
      // The longest a finite double prints, e.g. -1.2345678901234567e-300.
      bound += 25
      continue
    }
    if (typeof v !== 'object') throw bad(`${at || 'value'} is not JSON (${typeof v})`)
    if (depth >= maxDepth) throw bad(`${at || 'value'} is nested deeper than ${maxDepth}`)
    if (Array.isArray(v)) {
      if (Object.getPrototypeOf(v) !== Array.prototype) throw bad(`${at} is not a plain array`)
      bound += 2 + v.length
      for (let i = 0; i < v.length; i++) {
        if (!Object.hasOwn(v, i)) throw bad(`${at}/${i} is missing (sparse array)`)
        stack.push([v[i], depth + 1, `${at}/${i}`])
      }
      continue
    }
    if (!isPlainObject(v)) throw bad(`${at || 'value'} is not a plain JSON object`)
    bound += 2
    for (const key of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(key)) throw bad(`${at}/${key}: forbidden key`)
      bound += 6 * key.length + 4
      stack.push([v[key], depth + 1, `${at}/${key}`])
    }
    if (Object.getOwnPropertySymbols(v).length > 0) throw bad(`${at} has symbol keys`)
  }
  return bound
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8')
}

/** An item body a client sent: plain JSON object within the limits. Returns it unchanged. */
export function validateItemBody(value: unknown, limits: Limits): Record<string, unknown> {
  if (!isPlainObject(value)) throw bad('item must be a plain object')
  const bound = checkJson(value, limits.maxDepth)
  if (bound > limits.maxItemBytes && jsonBytes(value) > limits.maxItemBytes)
    throw new LivecrudError('PAYLOAD_TOO_LARGE', `item is larger than ${limits.maxItemBytes} bytes`)
  if (value.id !== undefined) validateId(value.id)
  const v = value._version
  if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0))
    throw bad('_version is server-owned; when sent it must be a non-negative integer (ignored)')
  return value
}

/** The item data a client may write: the body without the reserved fields. */
export function withoutReserved(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(body)) if (key !== 'id' && key !== '_version') out[key] = body[key]
  return out
}

export function validateWriteMeta(value: unknown): WriteMeta {
  if (!isPlainObject(value)) throw bad('meta must be an object { mutationId, ifVersion? }')
  const { mutationId, ifVersion } = value
  if (typeof mutationId !== 'string' || !MUTATION_ID.test(mutationId))
    throw bad('meta.mutationId must be 1–128 printable ASCII characters')
  if (ifVersion !== undefined && !(Number.isSafeInteger(ifVersion) && (ifVersion as number) >= 0))
    throw bad('meta.ifVersion must be a non-negative integer')
  return ifVersion === undefined ? { mutationId } : { mutationId, ifVersion: ifVersion as number }
}

export function validateSince(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw bad('since must be a non-negative integer')
  return value as number
}
