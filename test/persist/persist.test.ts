import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import { Browser, RestartableServer, eventually, serverItems, until } from './helpers.js'

let server: RestartableServer | undefined
let browser: Browser | undefined
afterEach(async () => {
  browser?.closeAll()
  await server?.stop()
  server = browser = undefined
  vi.restoreAllMocks()
})

/** A server that was started once (so its port is known), then stopped: pages are offline. */
async function offlineServer(): Promise<RestartableServer> {
  server = await new RestartableServer().start()
  await server.stop()
  return server
}

const connected = (c: LivecrudClient) =>
  until(() => c.getConnectionState() === 'connected', 8000, 'connected')

describe('livecrud/persist: durable outbox', () => {
  it('keeps offline writes in order across a reload and applies each exactly once', async () => {
    const s = await offlineServer()
    browser = new Browser()
    const page1 = browser.page(s.url)
    void page1.postItem({ id: 'a', title: 'A', n: 1 }, 'todos').catch(() => {})
    void page1.patchItem({ id: 'a', n: 2 }, 'todos').catch(() => {})
    void page1.postItem({ id: 'b', title: 'B' }, 'todos').catch(() => {})
    await until(() => page1.getPendingWrites().length === 3)
    expect(page1.collection('todos').peek('a')).toMatchObject({ title: 'A', n: 2 })
    const before = page1.getPendingWrites().map((w) => [w.mutationId, w.kind, w.id])
    const clientId = page1.clientId
    const outbox = (await browser.records('outbox')) as { w: { request: { mutationId: string } } }[]
    expect(outbox.map((r) => r.w.request.mutationId).sort()).toEqual(before.map((b) => b[0]).sort())
    page1.close()

    const page2 = browser.page(s.url)
    await until(() => page2.getPendingWrites().length === 3, 5000, 'restored')
    expect(page2.getPendingWrites().map((w) => [w.mutationId, w.kind, w.id])).toEqual(before)
    expect(page2.clientId).toBe(clientId)
    const state = page2.collection('todos').getItemState('a')
    expect(state).toMatchObject({ hasPendingWrites: true, data: { title: 'A', n: 2 } })

    await s.start()
    await connected(page2)
    await until(() => page2.getPendingWrites().length === 0, 8000, 'flushed')
    const items = await serverItems(s.server!, 'todos')
    expect(items).toEqual([
      { id: 'a', _version: 2, title: 'A', n: 2 },
      { id: 'b', _version: 1, title: 'B' },
    ])
    await until(() => page2.collection('todos').getItemState('a').hasPendingWrites === false)
    await eventually(async () => (await browser!.records('outbox')).length === 0)
  })

  it('writes are in IndexedDB before the optimistic value shows', async () => {
    const s = await offlineServer()
    browser = new Browser()
    const page = browser.page(s.url)
    const seen: number[] = []
    const todos = page.collection('todos')
    todos.subscribe(() => {
      void browser!.records('outbox').then((r) => seen.push(r.length))
    })
    void todos.postItem({ id: 'x', title: 'X' }).catch(() => {})
    expect(todos.peek('x')).toBeUndefined() // not announced before it is durable
    await until(() => todos.peek('x') !== undefined)
    await until(() => seen.length > 0)
    expect(seen[0]).toBe(1)
  })

  it('sends a write whose ack never came again after a reload: applied once', async () => {
    server = await new RestartableServer().start()
    browser = new Browser()
    const page1 = browser.page(server.url)
    await connected(page1)
    // The server applies the write but its answer is lost, then the page goes away.
    for (const socket of server.server!.io.of('/').sockets.values()) {
      socket.use((packet, next) => {
        const last = packet[packet.length - 1]
        if (typeof last === 'function') packet[packet.length - 1] = () => {}
        next()
      })
    }
    void page1.postItem({ id: 'once', title: 'once' }, 'todos').catch(() => {})
    await eventually(
      async () => (await serverItems(server!.server!, 'todos')).length === 1,
      5000,
      'applied on the server',
    )
    expect(page1.getPendingWrites()).toHaveLength(1)
    page1.close()

    const page2 = browser.page(server.url)
    await until(() => page2.getPendingWrites().length === 1, 5000, 'restored')
    await connected(page2)
    await until(() => page2.getPendingWrites().length === 0, 8000, 'answered')
    expect(await serverItems(server.server!, 'todos')).toEqual([
      { id: 'once', _version: 1, title: 'once' },
    ])
    expect(page2.collection('todos').getItemState('once')).toMatchObject({
      hasPendingWrites: false,
      error: null,
      data: { title: 'once' },
    })
  })

  it('reports a restored write the server refuses through onWriteError and the item', async () => {
    const s = await offlineServer()
    browser = new Browser()
    const page1 = browser.page(s.url)
    void page1.patchItem({ id: 'ghost', n: 1 }, 'todos', { ifVersion: 7 }).catch(() => {})
    await until(() => page1.getPendingWrites().length === 1)
    page1.close()
    const errors: [string, string][] = []
    const page2 = browser.page(s.url, {
      onWriteError: (error, write) => errors.push([error.code, write.id]),
    })
    await until(() => page2.getPendingWrites().length === 1, 5000, 'restored')
    await s.start()
    await until(() => errors.length === 1, 8000, 'reported')
    expect(errors[0]![1]).toBe('ghost')
    expect(page2.getPendingWrites()).toEqual([])
    expect(page2.collection('todos').getItemState('ghost').error?.code).toBe(errors[0]![0])
    await eventually(async () => (await browser!.records('outbox')).length === 0)
  })
})
