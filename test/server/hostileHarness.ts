import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import {
  connect,
  ok,
  recordEvents,
  request,
  settle,
  startServer,
  wm,
  type Client,
} from './helpers.js'

/** [name, event, arguments, expected error code or null = sent without an ack callback] */
export type HostileCase = [name: string, event: string, args: unknown[], code: string | null]

export const SEED = { id: 't1', title: 'keep', tags: ['a', 'b'], nested: { x: 1 } }
export const raw = (json: string) => JSON.parse(json) as Record<string, unknown>
export const deep = (n: number): unknown => (n === 0 ? 1 : { d: deep(n - 1) })

export interface Harness {
  server: LivecrudServer
  attacker: Client
  observer: Client
}

/**
 * Runs each case against a server holding one seed item, watched by a subscribed observer; after
 * each case: the expected error code, the data unchanged, no event emitted, the prototype clean,
 * and both connections still served.
 */
export function hostileSuite(title: string, cases: HostileCase[]): Harness {
  const h = {} as Harness
  let events: ReturnType<typeof recordEvents>
  beforeAll(async () => {
    h.server = await startServer({
      limits: { maxItemBytes: 2000, maxPatchOps: 5, maxDepth: 8, maxRequestsPerSecond: 100_000 },
    })
    h.attacker = await connect(h.server)
    h.observer = await connect(h.server)
    await ok(h.observer, 'POST', 'todos', SEED, wm())
    await ok(h.observer, 'SUBSCRIBE', 'todos')
    events = recordEvents(h.observer)
  })
  afterAll(async () => {
    h.attacker.close()
    h.observer.close()
    await h.server.close()
  })
  const snapshot = async () => (await ok(h.observer, 'LIST', 'todos', { pageSize: 1000 })).result

  describe(title, () => {
    it.each(cases)('%s', async (_name, event, args, code) => {
      const before = await snapshot()
      if (code === null) {
        h.attacker.emit(event, ...args)
      } else {
        const answer = await request(h.attacker, event, ...args)
        expect(answer.err?.code).toBe(code)
        expect(typeof answer.err?.message).toBe('string')
        expect(answer.result).toBeUndefined()
      }
      await settle(h.attacker)
      await settle(h.observer)
      expect(await snapshot()).toEqual(before)
      expect(events).toEqual([])
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect((await ok(h.observer, 'GET', 'todos', 't1')).result).toMatchObject(SEED)
      // The attacking connection itself keeps working too.
      expect((await ok(h.attacker, 'GET', 'todos', 't1')).result.title).toBe('keep')
    })
  })
  return h
}
