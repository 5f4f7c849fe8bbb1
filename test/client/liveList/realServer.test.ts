import { afterEach, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { createClient } from 'livecrud'
import type { LivecrudClient, ListQuery } from 'livecrud'
import { createServer } from 'livecrud/server'
import type { LivecrudServer } from 'livecrud/server'
import { mulberry32 } from '../faultInjector.js'
import { until } from '../helpers.js'

const COLLECTION = 'livelists'
let server: LivecrudServer | undefined
const clients: LivecrudClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await server?.close()
})

describe('live lists against the reference server', () => {
  it('paged, sorted, filtered lists follow another client’s writes exactly', async () => {
    const seed = Number(process.env.LIVELIST_SEED ?? Date.now() % 1_000_000)
    const random = mulberry32(seed)
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      limits: { maxRequestsPerSecond: 100_000, maxInFlight: 10_000 },
    })
    const connect = () => {
      const c = createClient({ socket: io(server!.url, { transports: ['websocket'] }) })
      clients.push(c)
      return c
    }
    const viewer = connect()
    const writer = connect()
    const queries: ListQuery[] = [
      { sort: 'score', pageSize: 4, page: 1 },
      { sort: 'score', pageSize: 4, page: 2 },
      { sort: ['-score', 'name'], filters: { kind: 'a' }, pageSize: 3, page: 2 },
      { sort: 'name', filters: { score: { $gte: 50 } }, pageSize: 100 },
    ]
    const lives = queries.map((q) => viewer.collection(COLLECTION).query(q))
    lives.forEach((l) => l.subscribe(() => {}))
    const ids = Array.from({ length: 15 }, (_, i) => `x${i}`)
    const exists = new Set<string>()
    let shown = 0
    for (let round = 0; round < 15; round++) {
      const writes: Promise<unknown>[] = []
      for (let k = 0; k < 10; k++) {
        const id = ids[Math.floor(random() * ids.length)]!
        const fields = {
          score: Math.floor(random() * 10) * 10,
          kind: random() < 0.5 ? 'a' : 'b',
          name: `n${Math.floor(random() * 5)}`,
        }
        const r = random()
        const w = !exists.has(id)
          ? writer.postItem({ id, ...fields }, COLLECTION)
          : r < 0.2
            ? writer.putItem({ id, ...fields }, COLLECTION)
            : r < 0.8
              ? writer.patchItem({ id, ...fields }, COLLECTION)
              : writer.deleteItem(id, COLLECTION)
        if (r >= 0.8 && exists.has(id)) exists.delete(id)
        else exists.add(id)
        // Racing writes of one round may conflict (NOT_FOUND, CONFLICT): the lists must follow anyway.
        writes.push(w.catch(() => undefined))
      }
      await Promise.all(writes)
      for (const [i, q] of queries.entries()) {
        const want = await writer.getItems(q, COLLECTION)
        const total = (
          await (writer as unknown as { getItems: typeof writer.getItems }).getItems(
            { ...q, page: 1, pageSize: 1000 },
            COLLECTION,
          )
        ).length
        await until(
          () => {
            const s = lives[i]!.getSnapshot()
            return (
              s.ids.join() === want.map((it) => it.id).join() && s.total === total && !s.isFetching
            )
          },
          5000,
          `round ${round}, ${JSON.stringify(q)} (seed ${seed}): ${JSON.stringify(
            lives[i]!.getSnapshot().ids,
          )} vs ${JSON.stringify(want.map((it) => it.id))}`,
        )
        for (const item of lives[i]!.getSnapshot().items)
          expect(item).toEqual(want.find((w) => w.id === item.id))
        shown += lives[i]!.getSnapshot().ids.length
      }
    }
    // The lists were not trivially empty.
    expect(shown).toBeGreaterThan(30)
  })
})
