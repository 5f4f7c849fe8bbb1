/**
 * Deep freezing and frozen copies of JSON values, for the client store's and the memory store's hot paths: the same results as
 * immer's `freeze(value, true)` and `freeze(structuredClone(value), true)` on plain objects and
 * arrays (what items are), in one pass without immer's per-node type dispatch.
 */

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * Freezes `value` and every plain object and array inside it, in place; returns it. Other objects
 * (a Date, a class instance) are left as they are, as immer leaves what it cannot draft; an already
 * frozen object is not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  if (Array.isArray(value)) {
    Object.freeze(value)
    for (const v of value as unknown[]) deepFreeze(v)
  } else if (isPlain(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/**
 * A deep, frozen copy of a JSON value that shares nothing with it. Values JSON has no literal for
 * go through `structuredClone` as before (a Date is copied; a function throws its DataCloneError);
 * a cyclic value throws (a RangeError, as sending it would).
 */
export function frozenCopy<T>(value: T): T {
  return copy(value) as T
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'function' || typeof value === 'symbol' ? structuredClone(value) : value
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i])
    return Object.freeze(out)
  }
  if (!isPlain(value)) return structuredClone(value)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const v = copy((value as Record<string, unknown>)[key])
    // An own `__proto__` key stays a key (an assignment would set the prototype).
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else out[key] = v
  }
  return Object.freeze(out)
}
