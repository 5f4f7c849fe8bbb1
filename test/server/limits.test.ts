import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStore, type LivecrudServer, type Store } from 'livecrud/server'
import { closeAll, connect, ok, request, sleep, startServer, wm, type Client } from './helpers.js'

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})
async function client(): Promise<Client> {
  const c = await connect(server!)
  clients.push(c)
  return c
}

describe('per-connection limits', () => {
  it('answers RATE_LIMITED beyond the requests per second, per connection only', async () => {
    server = await startServer({ limits: { maxRequestsPerSecond: 5 } })
    const noisy = await client()
    const quiet = await client()
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => request(noisy, 'LIST', 'todos')),
    )
    const limited = answers.filter((a) => a.err?.code === 'RATE_LIMITED')
    // A burst of 5, plus at most a token or two refilled while the 30 requests arrive on a busy CPU.
    const served = answers.filter((a) => a.err === null).length
    expect(served).toBeGreaterThanOrEqual(5)
    expect(served).toBeLessThanOrEqual(7)
    expect(limited).toHaveLength(30 - served)
    expect(limited[0]!.err!.message).toContain('per second')
    expect((await request(quiet, 'LIST', 'todos')).err).toBeNull()
    await sleep(450)
    expect((await request(noisy, 'LIST', 'todos')).err).toBeNull()
  })

  it('counts unknown events against the rate too', async () => {
    server = await startServer({ limits: { maxRequestsPerSecond: 1 } })
    const c = await client()
    expect((await request(c, 'UNKNOWN_EVENT')).err?.code).toBe('BAD_REQUEST')
    expect((await request(c, 'UNKNOWN_EVENT')).err?.code).toBe('RATE_LIMITED')
  })

  it('answers RATE_LIMITED beyond the requests in flight', async () => {
    const inner = new MemoryStore()
    const slow: Store = Object.assign(Object.create(inner) as Store, {
      get: async (c: string, id: string) => {
        await sleep(300)
        return inner.get(c, id)
      },
    })
    server = await startServer({ store: slow, limits: { maxInFlight: 2 } })
    const c = await client()
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => request(c, 'GET', 'todos', 'x')),
    )
    expect(answers.map((a) => a.err?.code ?? 'ok')).toEqual([
      'ok',
      'ok',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ])
    expect((await request(c, 'GET', 'todos', 'x')).err).toBeNull()
  })

  it('caps the page size and applies the default', async () => {
    server = await startServer({ limits: { maxPageSize: 3 } })
    const c = await client()
    for (let i = 0; i < 5; i++) await ok(c, 'POST', 'todos', { i }, wm())
    const page = await ok(c, 'LIST', 'todos')
    expect(page.result).toMatchObject({ pageSize: 3, total: 5 })
    expect(page.result.items).toHaveLength(3)
    expect((await request(c, 'LIST', 'todos', { pageSize: 4 })).err?.code).toBe('BAD_REQUEST')
  })

  it('refuses invalid limit options at startup', async () => {
    await expect(startServer({ limits: { maxPageSize: -1 } })).rejects.toThrow('maxPageSize')
  })
})
