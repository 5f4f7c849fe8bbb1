/** RFC 6902 operations, as sent in PATCH requests and CHANGED events. */
export type Operation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'move'; from: string; path: string }
  | { op: 'copy'; from: string; path: string }
  | { op: 'test'; path: string; value: unknown }

export const PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const

/** Escapes one JSON Pointer segment (RFC 6901). */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** Splits a JSON Pointer into unescaped segments; `null` when it is not a pointer. */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === '') return []
  if (pointer[0] !== '/') return null
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

export function isOperationArray(value: unknown): value is Operation[] {
  return Array.isArray(value)
}
