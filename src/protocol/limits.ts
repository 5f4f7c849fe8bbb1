/** Defaults shared by client and server; servers may configure their own. */
export const DEFAULT_PAGE_SIZE = 50
export const MAX_PAGE_SIZE = 1000
export const COLLECTION_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/
/** Field paths in filters and sort: dotted identifiers, at most 4 deep. */
export const FIELD_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,3}$/
/** Fields no client may write. */
export const RESERVED_FIELDS = ['id', '_version'] as const

export function isValidCollection(value: unknown): value is string {
  return typeof value === 'string' && COLLECTION_PATTERN.test(value)
}
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value)
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])

/** A filter/sort field path: FIELD_PATTERN and no prototype-reaching segment. */
export function isValidFieldPath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    FIELD_PATTERN.test(value) &&
    !value.split('.').some((s) => FORBIDDEN_SEGMENTS.has(s))
  )
}
