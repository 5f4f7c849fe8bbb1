import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import { Browser, RestartableServer, eventually, serverItems, until } from './helpers.js'

let server: RestartableServer | undefined
let browser: Browser | undefined
afterEach(async () => {
  browser?.closeAll()
  await server?.stop()
  server = browser = undefined
  vi.unstubAllGlobals()
})

/** Web Locks as one browser has them: one holder per name, the others queued in order. */
class FakeLocks {
  private readonly held = new Set<string>()
  private readonly queued = new Map<string, (() => void)[]>()
  request(name: string, callback: (lock: { name: string }) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const grant = async () => {
        this.held.add(name)
        try {
          resolve(await callback({ name }))
        } catch (error) {
          reject(error)
        } finally {
          this.held.delete(name)
          this.queued.get(name)?.shift()?.()
        }
      }
      if (!this.held.has(name)) void grant()
      else this.queued.set(name, [...(this.queued.get(name) ?? []), grant])
    })
  }
}

/** Counts the write requests the server receives, per kind. */
function countWrites(s: RestartableServer): () => number {
  let n = 0
  s.server!.io.on('connection', (socket) =>
    socket.use(([event], next) => {
      if (event === 'POST' || event === 'PATCH') n++
      next()
    }),
  )
  return () => n
}

const ids = (c: LivecrudClient) =>
  c
    .getPendingWrites()
    .map((w) => w.id)
    .sort()

describe('livecrud/persist: tabs', () => {
  it('two tabs offline each write; online, every write is applied once and both show all', async () => {
    // No Web Locks here (Node): both tabs send the shared outbox — duplicates are still impossible.
    server = await new RestartableServer().start()
    await server.stop()
    browser = new Browser()
    const a = browser.page(server.url)
    const b = browser.page(server.url)
    void a.postItem({ id: 'fromA', n: 0 }, 'todos').catch(() => {})
    void b.postItem({ id: 'fromB', n: 0 }, 'todos').catch(() => {})
    void b.patchItem({ id: 'fromA', n: 1 }, 'todos').catch(() => {})
    // Each tab shows the other's writes as pending.
    await until(() => ids(a).join() === 'fromA,fromA,fromB', 5000, 'a sees all')
    await until(() => ids(b).join() === 'fromA,fromA,fromB', 5000, 'b sees all')
    expect(a.collection('todos').getItemState('fromB').hasPendingWrites).toBe(true)

    await server.start()
    const sent = countWrites(server)
    await until(() => a.getPendingWrites().length + b.getPendingWrites().length === 0, 10_000)
    expect(await serverItems(server.server!, 'todos')).toEqual([
      { id: 'fromA', _version: 2, n: 1 },
      { id: 'fromB', _version: 1, n: 0 },
    ])
    expect(sent()).toBeGreaterThan(3) // both tabs sent: the server answered the repeats from memory
    for (const tab of [a, b]) {
      expect(tab.collection('todos').peek('fromA')).toMatchObject({ n: 1, _version: 2 })
      expect(tab.collection('todos').peek('fromB')).toMatchObject({ n: 0, _version: 1 })
    }
    await eventually(async () => (await browser!.records('outbox')).length === 0)
  })

  it('with Web Locks one tab sends, the other hears the answer, and a new one takes over', async () => {
    vi.stubGlobal('navigator', { locks: new FakeLocks() })
    server = await new RestartableServer().start()
    const sent = countWrites(server)
    browser = new Browser()
    const a = browser.page(server.url)
    await until(() => a.getConnectionState() === 'connected')
    const b = browser.page(server.url)
    await until(() => b.getConnectionState() === 'connected')
    // b is not the flushing tab: its write goes out through a, and b's promise gets the answer.
    await expect(b.postItem({ id: 'viaA', n: 1 }, 'todos')).resolves.toMatchObject({
      id: 'viaA',
      _version: 1,
    })
    expect(sent()).toBe(1)
    await until(() => a.getPendingWrites().length === 0)

    // The flushing tab goes away while offline writes wait: b takes over and sends them once.
    await server.stop()
    await until(() => b.getConnectionState() !== 'connected')
    const pending = b.patchItem({ id: 'viaA', n: 2 }, 'todos')
    await until(() => a.getPendingWrites().length === 1, 5000, 'a heard it')
    a.close()
    await server.start()
    const sentAfter = countWrites(server)
    await expect(pending).resolves.toMatchObject({ n: 2, _version: 2 })
    expect(sentAfter()).toBe(1)
    expect(await serverItems(server.server!, 'todos')).toEqual([{ id: 'viaA', _version: 2, n: 2 }])
  })

  it('a tab that stops sharing (its database went away) sends what it waited for itself', async () => {
    vi.stubGlobal('navigator', { locks: new FakeLocks() })
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    server = await new RestartableServer().start()
    browser = new Browser()
    const a = browser.page(server.url)
    await until(() => a.getConnectionState() === 'connected')
    const b = browser.page(server.url)
    await until(() => b.getConnectionState() === 'connected')
    // The flushing tab loses its connection for good: b's write waits for it.
    ;(
      a as unknown as { transport: { socket: { disconnect(): void } } }
    ).transport.socket.disconnect()
    await until(() => a.getConnectionState() === 'disconnected')
    const write = b.postItem({ id: 'mine', n: 1 }, 'todos')
    await until(() => a.getPendingWrites().length === 1, 5000, 'a adopted it')
    expect(b.getPendingWrites()[0]?.state).toBe('sent')
    await b.clearPersistence()
    await expect(write).resolves.toMatchObject({ id: 'mine', _version: 1 })
    expect(await serverItems(server.server!, 'todos')).toEqual([{ id: 'mine', _version: 1, n: 1 }])
  })
})
