import { LivecrudError } from '../protocol/index.js'
import type { PatchStep } from './validatePatch.js'

type Container = Record<string, unknown> | unknown[]
const INDEX = /^(0|[1-9][0-9]*)$/

function fail(index: number, message: string): LivecrudError {
  return new LivecrudError('BAD_REQUEST', `patch op ${index} failed: ${message}`, { index })
}

/** JSON equality as RFC 6902 `test` defines it (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  const ob = b as Record<string, unknown>
  return ka.every(
    (k) => Object.hasOwn(ob, k) && jsonEqual((a as Record<string, unknown>)[k], ob[k]),
  )
}

function isContainer(v: unknown): v is Container {
  return v !== null && typeof v === 'object'
}

/** Walks to the parent of `path`; returns it and the last segment. */
function parentOf(doc: Container, path: readonly string[], index: number): [Container, string] {
  let cur: unknown = doc
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!
    if (!isContainer(cur)) throw fail(index, `${seg} is inside a non-container`)
    if (Array.isArray(cur)) {
      if (!INDEX.test(seg) || Number(seg) >= cur.length) throw fail(index, `no element ${seg}`)
      cur = cur[Number(seg)]
    } else {
      if (!Object.hasOwn(cur, seg)) throw fail(index, `no member ${seg}`)
      cur = cur[seg]
    }
  }
  if (!isContainer(cur)) throw fail(index, 'parent is not an object or array')
  return [cur, path[path.length - 1]!]
}

function get(doc: Container, path: readonly string[], index: number): unknown {
  const [parent, key] = parentOf(doc, path, index)
  if (Array.isArray(parent)) {
    if (!INDEX.test(key) || Number(key) >= parent.length) throw fail(index, `no element ${key}`)
    return parent[Number(key)]
  }
  if (!Object.hasOwn(parent, key)) throw fail(index, `no member ${key}`)
  return parent[key]
}

function add(doc: Container, path: readonly string[], value: unknown, index: number): void {
  const [parent, key] = parentOf(doc, path, index)
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value)
    else if (INDEX.test(key) && Number(key) <= parent.length) parent.splice(Number(key), 0, value)
    else throw fail(index, `invalid array index ${key}`)
  } else {
    parent[key] = value
  }
}

function remove(doc: Container, path: readonly string[], index: number): unknown {
  const value = get(doc, path, index)
  const [parent, key] = parentOf(doc, path, index)
  if (Array.isArray(parent)) parent.splice(Number(key), 1)
  else delete parent[key]
  return value
}

/**
 * Applies validated steps to a deep copy of `item` and returns the copy; `item` is never touched, so
 * a failing op (its index in the error's `details.index`) leaves nothing half-applied.
 */
export function applyPatch(
  item: Record<string, unknown>,
  steps: readonly PatchStep[],
): Record<string, unknown> {
  const doc = structuredClone(item)
  steps.forEach((step, index) => {
    switch (step.op) {
      case 'add':
        add(doc, step.path, structuredClone(step.value), index)
        break
      case 'remove':
        remove(doc, step.path, index)
        break
      case 'replace': {
        get(doc, step.path, index)
        const [parent, key] = parentOf(doc, step.path, index)
        const value = structuredClone(step.value)
        if (Array.isArray(parent)) parent[Number(key)] = value
        else parent[key] = value
        break
      }
      case 'move': {
        const value = remove(doc, step.from, index)
        add(doc, step.path, value, index)
        break
      }
      case 'copy':
        add(doc, step.path, structuredClone(get(doc, step.from, index)), index)
        break
      case 'test':
        if (!jsonEqual(get(doc, step.path, index), step.value))
          throw fail(index, `test of ${'/' + step.path.join('/')} did not match`)
        break
    }
  })
  return doc
}
