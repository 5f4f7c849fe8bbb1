import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { checkJson, jsonBytes, validateItemBody } from '../../src/server/validate.js'
import { resolveLimits } from '../../src/server/limits.js'

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const allowed = (v: unknown): boolean =>
  v === null || typeof v !== 'object'
    ? true
    : Array.isArray(v)
      ? v.every(allowed)
      : Object.entries(v).every(([k, x]) => !FORBIDDEN.has(k) && allowed(x))

describe('checkJson size bound', () => {
  it('is never below the exact size of the value as JSON in UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(allowed(value))
        expect(checkJson(value, 1000)).toBeGreaterThanOrEqual(jsonBytes(value))
      }),
      { numRuns: 500 },
    )
    // The worst cases: escaped control characters, the longest numbers, astral characters.
    for (const value of ['\u0000\u001f', -0.0000012345678901234567, -2.2250738585072014e-308, '😀'])
      expect(checkJson({ k: [value] }, 32)).toBeGreaterThanOrEqual(jsonBytes({ k: [value] }))
  })

  it('an item whose bound is past maxItemBytes is measured exactly: accepted below, refused above', () => {
    const limits = resolveLimits({ maxItemBytes: 1000 })
    const fits = { t: 'x'.repeat(900) } // 910 bytes as JSON; the bound is over 5,000
    expect(checkJson(fits, 32)).toBeGreaterThan(1000)
    expect(validateItemBody(fits, limits)).toBe(fits)
    expect(() => validateItemBody({ t: 'x'.repeat(1000) }, limits)).toThrow(/larger than 1000/)
  })
})
