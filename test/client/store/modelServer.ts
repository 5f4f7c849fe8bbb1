import jsonpatch from 'fast-json-patch'
import type { EventMeta, Item, Operation } from '../../../src/protocol/index.js'
import type { LocalMutation } from '../../../src/client/store/index.js'

type JsonOp = Parameters<typeof jsonpatch.applyPatch>[1][number]

export type ServerEvent =
  | { type: 'ADDED'; id: string; item: Item; meta: EventMeta }
  | { type: 'CHANGED'; id: string; ops: Operation[]; meta: EventMeta }
  | { type: 'REMOVED'; id: string; meta: EventMeta }

export type WriteOutcome =
  | { ok: true; result: Item | boolean; version: number; seq: number; event: ServerEvent | null }
  | { ok: false; code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_REQUEST' }

const clone = <T>(v: T): T => structuredClone(v)

function fieldsOf(item: Item): Record<string, unknown> {
  const { _version: _v, ...rest } = item
  return rest
}

/**
 * A tiny reference server for the property test: versions continue through deletes (as MemoryStore
 * does), every commit is one event, and every version of every item is kept for checking.
 */
export class ModelServer {
  seq = 0
  readonly current = new Map<string, { item: Item | null; version: number }>()
  readonly history = new Map<string, Map<number, Item | null>>()

  get(id: string): { item: Item | null; version: number } {
    return this.current.get(id) ?? { item: null, version: 0 }
  }

  #commit(id: string, item: Item | null, version: number): void {
    this.current.set(id, { item, version })
    let h = this.history.get(id)
    if (!h) this.history.set(id, (h = new Map()))
    h.set(version, item && clone(item))
  }

  /** Seeds an item without an event (the client loads it with server/items). */
  seed(item: Item): void {
    this.#commit(item.id, clone(item), item._version)
  }

  write(m: LocalMutation, mutationId?: string): WriteOutcome {
    const { id } = m
    const cur = this.get(id)
    const version = cur.version + 1
    const meta = (v: number): EventMeta => {
      const out: EventMeta = { seq: this.seq + 1, prevSeq: this.seq, version: v }
      if (mutationId) out.mutationId = mutationId
      return out
    }
    let next: Item
    switch (m.kind) {
      case 'DELETE': {
        if (!cur.item)
          return { ok: true, result: false, version: cur.version, seq: this.seq, event: null }
        const event: ServerEvent = { type: 'REMOVED', id, meta: meta(version) }
        this.seq++
        this.#commit(id, null, version)
        return { ok: true, result: true, version, seq: this.seq, event }
      }
      case 'POST':
        if (cur.item) return { ok: false, code: 'CONFLICT' }
        next = { ...clone(m.item), id, _version: version }
        break
      case 'PUT':
        if (!cur.item) return { ok: false, code: 'NOT_FOUND' }
        next = { ...clone(m.item), id, _version: version }
        break
      case 'PATCH': {
        if (!cur.item) return { ok: false, code: 'NOT_FOUND' }
        const doc = clone(cur.item)
        try {
          jsonpatch.applyPatch(doc, clone(m.ops) as JsonOp[], true)
        } catch {
          return { ok: false, code: 'BAD_REQUEST' }
        }
        next = { ...doc, id, _version: version }
        break
      }
    }
    let event: ServerEvent
    if (!cur.item) {
      event = { type: 'ADDED', id, item: clone(next), meta: meta(version) }
    } else {
      const ops = jsonpatch.compare(fieldsOf(cur.item), fieldsOf(next)) as Operation[]
      event = { type: 'CHANGED', id, ops, meta: meta(version) }
    }
    this.seq++
    this.#commit(id, next, version)
    return { ok: true, result: clone(next), version, seq: this.seq, event }
  }
}
