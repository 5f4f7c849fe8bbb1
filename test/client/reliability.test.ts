import { afterEach, describe, expect, it } from 'vitest'
import { io } from 'socket.io-client'
import { ConflictError, TimeoutError, createClient } from 'livecrud'
import type { Item, LivecrudClient } from 'livecrud'
import type { ChangeRecord, ServerOptions } from 'livecrud/server'
import type { Socket as ServerSocket } from 'socket.io'
import { delay, harness, serverItems, until } from './helpers.js'
import type { Harness } from './helpers.js'

let h: Harness | undefined
const extra: LivecrudClient[] = []
afterEach(async () => {
  for (const c of extra.splice(0)) c.close()
  await h?.close()
  h = undefined
})
async function start(options: ServerOptions = {}) {
  h = await harness(options)
  return h
}

interface Stats {
  gaps: number
  catchUps: number
  resets: number
  refetches: number
  writeSends: number
}
const stats = (c: LivecrudClient) => (c as unknown as { stats(): Stats }).stats()
const clientIdOf = (s: ServerSocket) => (s.handshake.auth as { clientId?: string }).clientId

/** Every client's visible store for `ids` equals the server's items. */
async function expectConverged(clients: LivecrudClient[], collection: string, ids: string[]) {
  const truth = new Map((await serverItems(h!.server, collection)).map((i) => [i.id, i]))
  for (const c of clients) {
    const store = c.collection(collection)
    for (const id of ids) {
      expect(store.peek(id), `${c.clientId} ${id}`).toEqual(truth.get(id))
      expect(store.getItemState(id).hasPendingWrites).toBe(false)
    }
  }
}

function changeLog(): ChangeRecord[] {
  const log: ChangeRecord[] = []
  h!.server.store.onChange((c) => log.push(c))
  return log
}

/** Cuts `c`'s connection and holds its reconnect until the returned function is called. */
async function cutAndHold(c: LivecrudClient): Promise<() => void> {
  const { server } = h!
  let release!: () => void
  const hold = new Promise<void>((r) => (release = r))
  server.io.use((socket, next) => {
    if (clientIdOf(socket) === c.clientId) void hold.then(() => next())
    else next()
  })
  for (const s of server.io.sockets.sockets.values())
    if (clientIdOf(s) === c.clientId) s.conn.close()
  await until(() => c.getConnectionState() === 'disconnected')
  return release
}

describe('sync reliability (loopback)', () => {
  it('detects a dropped event at the next event, catches up once and converges', async () => {
    const { server, client } = await start()
    let dropFor: string | undefined = undefined
    let dropped = 0
    server.io.on('connection', (socket) => {
      const emit = socket.emit.bind(socket)
      socket.emit = ((event: string, ...args: unknown[]) => {
        if (event === 'CHANGED' && clientIdOf(socket) === dropFor && dropped === 0) {
          dropped++
          return true
        }
        return emit(event, ...args)
      }) as typeof socket.emit
    })
    const a = await client()
    const b = await client()
    a.collection('t').subscribe(() => {})
    await until(() => a.getSeq('t') !== undefined)
    await b.postItem({ id: 'x', n: 0 }, 't')
    await until(() => a.getSeq('t') === 1)
    dropFor = a.clientId
    await b.patchItem({ id: 'x', n: 1 }, 't') // dropped for a
    await delay(30)
    expect(a.collection('t').peek('x')).toMatchObject({ n: 0 })
    expect(stats(a).gaps).toBe(0)
    await b.patchItem({ id: 'x', m: 2 }, 't') // reveals the gap
    await until(() => a.getSeq('t') === 3)
    expect(dropped).toBe(1)
    expect(stats(a)).toMatchObject({ gaps: 1, catchUps: 1, resets: 0 })
    await expectConverged([a, b], 't', ['x'])
  })

  it('refetches once when `since` is older than the server retention; deleted items disappear', async () => {
    const { client } = await start({ changeRetention: 3 })
    const a = await client()
    const b = await client()
    for (const id of ['k1', 'k2', 'k3']) await b.postItem({ id, v: 0 }, 't')
    a.collection('t').subscribe(() => {})
    await a.getItems({}, 't')
    await until(() => a.getSeq('t') === 3)
    const release = await cutAndHold(a)
    await b.deleteItem('k1', 't')
    for (let i = 1; i <= 5; i++) await b.patchItem({ id: 'k2', v: i }, 't')
    await b.postItem({ id: 'k4', v: 0 }, 't')
    release()
    await until(() => a.getConnectionState() === 'connected')
    await until(() => a.getSeq('t') === 10)
    await until(() => stats(a).refetches === 1 && !a.collection('t').peek('k1'))
    expect(stats(a)).toMatchObject({ resets: 1, refetches: 1 })
    await expectConverged([a], 't', ['k1', 'k2', 'k3'])
  })

  it('a resync refetch of thousands of ids paces itself under the server rate limit', async () => {
    // 3,000 known ids = 30 LISTs; the server admits 20 per second with bursts of 20. Asked back to
    // back the refetch is refused part way, and restarting it from the top would never finish.
    const { server, client } = await start({
      changeRetention: 3,
      limits: { maxRequestsPerSecond: 20 },
    })
    const ids = Array.from({ length: 3_000 }, (_, i) => `k${String(i).padStart(4, '0')}`)
    for (const id of ids) {
      await server.store.write({
        collection: 't',
        id,
        mutationId: `seed-${id}`,
        decide: () => ({ action: 'put', item: { v: 0 } }),
      })
    }
    const a = await client()
    const b = await client()
    a.collection('t').subscribe(() => {})
    for (let page = 1; page <= 3; page++) await a.getItems({ page, pageSize: 1000 }, 't')
    await until(() => a.getSeq('t') === 3_000)
    const release = await cutAndHold(a)
    await b.deleteItem('k0007', 't')
    for (let i = 1; i <= 5; i++) await b.patchItem({ id: 'k2999', v: i }, 't')
    release()
    await until(
      () => stats(a).refetches === 1 && !a.collection('t').peek('k0007'),
      15_000,
      'the refetch to finish',
    )
    await until(() => a.collection('t').peek('k2999')?.v === 5, 5_000, 'the last change')
    expect(stats(a)).toMatchObject({ resets: 1, refetches: 1 })
    await expectConverged([a], 't', ['k0000', 'k0007', 'k1500', 'k2999'])
  }, 30_000)

  it('a burst of writes beyond the rate limit is paced, not rolled back: every one lands once', async () => {
    const { server, client } = await start({ limits: { maxRequestsPerSecond: 20, maxInFlight: 8 } })
    const a = await client()
    const log = changeLog()
    const writes = Array.from({ length: 60 }, (_, i) =>
      a.postItem({ id: `w${String(i).padStart(2, '0')}`, i }, 't'),
    )
    // The same item patched twice right away: the second must still land after the first.
    writes.push(a.patchItem({ id: 'w00', i: 100 }, 't'), a.patchItem({ id: 'w00', i: 200 }, 't'))
    const results = await Promise.allSettled(writes)
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect(a.getPendingWrites()).toEqual([])
    const items = await serverItems(server, 't')
    expect(items).toHaveLength(60)
    expect(items.find((it) => it.id === 'w00')).toMatchObject({ i: 200, _version: 3 })
    expect(new Set(log.map((c) => c.mutationId)).size).toBe(log.length)
    expect(a.collection('t').peek('w59')).toMatchObject({ i: 59 })
  }, 20_000)

  it('an offline queue flushed into a rate limit lands whole and in order', async () => {
    const { server, client } = await start({ limits: { maxRequestsPerSecond: 10 } })
    const a = await client()
    const release = await cutAndHold(a)
    const writes = [a.postItem({ id: 'q', n: 0 }, 't')]
    for (let n = 1; n <= 30; n++) writes.push(a.patchItem({ id: 'q', n }, 't'))
    expect(a.getPendingWrites().every((w) => w.state === 'queued')).toBe(true)
    release()
    const results = await Promise.allSettled(writes)
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect((await serverItems(server, 't'))[0]).toMatchObject({ id: 'q', n: 30, _version: 31 })
  }, 20_000)

  it('writes landing while the initial LIST runs: no lost and no duplicate rows', async () => {
    const { server, client } = await start()
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'LIST') setTimeout(next, 60)
        else next()
      })
    })
    const writer = await client()
    for (let i = 0; i < 20; i++) await writer.postItem({ id: `w${i}`, n: i }, 't')
    const reader = await client()
    const ids = new Set<string>()
    const store = reader.collection('t')
    store.subscribe((changes) => changes.forEach((c) => ids.add(c.id)))
    const listing = reader.getItems({ pageSize: 1000 }, 't')
    const writes: Promise<unknown>[] = []
    for (let i = 0; i < 20; i++) {
      writes.push(writer.patchItem({ id: `w${i}`, n: i + 100 }, 't'))
      if (i % 4 === 0) writes.push(writer.deleteItem(`w${i}`, 't'))
      writes.push(writer.postItem({ id: `n${i}` }, 't'))
    }
    await Promise.all(writes)
    await listing
    const total = (await serverItems(server, 't')).length
    await until(() => reader.getSeq('t') === 20 + writes.length)
    await expectConverged([reader], 't', [...ids])
    const visible = [...ids].filter((id) => store.peek(id))
    expect(visible.length).toBe(total)
  })

  it('an ack dropped after the commit: applied once, the promise settles once (TimeoutError), the store converges', async () => {
    const { server, client } = await start()
    const log = changeLog()
    let drops = 1
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'POST' && drops > 0) {
          drops--
          packet[packet.length - 1] = () => {}
        }
        next()
      })
    })
    const c = await client({ timeout: 150 })
    c.collection('t').subscribe(() => {})
    await until(() => c.getSeq('t') !== undefined)
    let settled = 0
    const outcome = await c
      .postItem({ id: 'once', n: 1 }, 't')
      .then(
        (v) => ({ ok: v }),
        (e: unknown) => ({ error: e }),
      )
      .finally(() => settled++)
    expect((outcome as { error: unknown }).error).toBeInstanceOf(TimeoutError)
    await until(() => c.getPendingWrites().length === 0)
    await until(() => !c.collection('t').getItemState('once').hasPendingWrites)
    expect(settled).toBe(1)
    expect(log.filter((r) => r.id === 'once')).toHaveLength(1)
    // The echo may confirm it before the retry timer fires; then no retry is needed.
    expect(stats(c).writeSends).toBeLessThanOrEqual(2)
    await expectConverged([c], 't', ['once'])
  })

  it('without a subscription (no echo) a timed-out write stays pending until its retry settles it', async () => {
    const { server, client } = await start()
    const log = changeLog()
    let drops = 1
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'PUT' && drops-- > 0) packet[packet.length - 1] = () => {}
        next()
      })
    })
    const c = await client({ timeout: 100 })
    await c.postItem({ id: 'u', n: 0 }, 't')
    const error = await c.putItem({ id: 'u', n: 1 }, 't').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(c.collection('t').getItemState('u').hasPendingWrites).toBe(true)
    expect(c.collection('t').peek('u')).toMatchObject({ n: 1 })
    expect(c.getPendingWrites()).toMatchObject([{ id: 'u', kind: 'PUT', state: 'unknown' }])
    await until(() => c.getPendingWrites().length === 0)
    expect(c.collection('t').getItemState('u')).toMatchObject({
      hasPendingWrites: false,
      version: 2,
    })
    expect(log.filter((r) => r.type === 'CHANGED')).toHaveLength(1)
    expect(stats(c).writeSends).toBe(3)
  })

  it('an ack lost to a disconnect: retried after reconnect with the same mutationId, resolves once', async () => {
    const { server, client } = await start()
    const log = changeLog()
    let cut = 1
    const mutationIds: string[] = []
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'PATCH') {
          mutationIds.push((packet[3] as { mutationId: string }).mutationId)
          if (cut > 0) {
            cut--
            packet[packet.length - 1] = () => socket.conn.close()
          }
        }
        next()
      })
    })
    const c = await client()
    await c.postItem({ id: 'p', n: 0 }, 't')
    let settled = 0
    const result = await c.patchItem({ id: 'p', n: 1 }, 't').finally(() => settled++)
    expect(result).toEqual({ id: 'p', _version: 2, n: 1 })
    expect(settled).toBe(1)
    expect(mutationIds).toHaveLength(2)
    expect(mutationIds[0]).toBe(mutationIds[1])
    expect(log.filter((r) => r.type === 'CHANGED')).toHaveLength(1)
  })

  it('socket.io `retries` re-sends a write whose ack was dropped: applied once, resolves once', async () => {
    const { server } = await start()
    const log = changeLog()
    let drops = 1
    let received = 0
    server.io.on('connection', (socket) => {
      socket.use((packet, next) => {
        if (packet[0] === 'POST') {
          received++
          if (drops > 0) {
            drops--
            packet[packet.length - 1] = () => {}
          }
        }
        next()
      })
    })
    const socket = io(server.url, { retries: 3, ackTimeout: 150 })
    const c = createClient({ socket, timeout: 150 })
    extra.push(c)
    let settled = 0
    const created = await c.postItem({ id: 'r', n: 1 }, 't').finally(() => settled++)
    expect(created).toEqual({ id: 'r', _version: 1, n: 1 })
    expect(received).toBe(2)
    expect(settled).toBe(1)
    expect(log).toHaveLength(1)
    socket.disconnect()
  })

  it('two clients write the same item from the same version with ifVersion: one wins, both converge', async () => {
    const { client } = await start()
    const a = await client()
    const b = await client()
    await a.postItem({ id: 'race', who: 'none' }, 't')
    a.collection('t').subscribe(() => {})
    b.collection('t').subscribe(() => {})
    await b.getItem('race', 't')
    await until(() => a.getSeq('t') === 1 && b.getSeq('t') === 1)
    const results = await Promise.allSettled([
      a.putItem({ id: 'race', who: 'a' }, 't', { ifVersion: 1 }),
      b.putItem({ id: 'race', who: 'b' }, 't', { ifVersion: 1 }),
    ])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r) => r.status === 'rejected')
    expect(won).toHaveLength(1)
    expect(lost).toHaveLength(1)
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError)
    const winner = (won[0] as PromiseFulfilledResult<Item>).value
    await until(() => a.getSeq('t') === 2 && b.getSeq('t') === 2)
    await expectConverged([a, b], 't', ['race'])
    expect(a.collection('t').peek('race')).toEqual(winner)
  })
})
