import type { EventMeta, Item, Operation } from '../../../src/protocol/index.js'
import { LivecrudError } from '../../../src/protocol/errors.js'
import type { StoreAction } from '../../../src/client/store/index.js'

let seq = 0
export function meta(version: number, extra: Partial<EventMeta> = {}): EventMeta {
  seq++
  return { seq, prevSeq: seq - 1, version, ...extra }
}

export const added = (item: Item, extra: Partial<EventMeta> = {}): StoreAction => ({
  type: 'server/added',
  item,
  meta: meta(item._version, extra),
})

export const changed = (
  id: string,
  version: number,
  ops: Operation[],
  extra: Partial<EventMeta> = {},
): StoreAction => ({ type: 'server/changed', id, ops, meta: meta(version, extra) })

export const removed = (
  id: string,
  version: number,
  extra: Partial<EventMeta> = {},
): StoreAction => ({
  type: 'server/removed',
  id,
  meta: meta(version, extra),
})

export const set = (field: string, value: unknown): Operation => ({
  op: 'replace',
  path: '/' + field,
  value,
})

export const patch = (mutationId: string, id: string, ops: Operation[]): StoreAction => ({
  type: 'local/write',
  mutation: { kind: 'PATCH', mutationId, id, ops },
})

export const ack = (mutationId: string, result: Item | boolean, version?: number): StoreAction => ({
  type: 'local/ack',
  mutationId,
  result,
  meta: version === undefined ? undefined : { seq: ++seq, version },
})

export const rejected = (mutationId: string, code: 'BAD_REQUEST' | 'FORBIDDEN' = 'FORBIDDEN') => ({
  type: 'local/reject' as const,
  mutationId,
  error: new LivecrudError(code, 'no'),
})
