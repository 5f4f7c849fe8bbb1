import { afterEach, describe, expect, it } from 'vitest'
import { LivecrudError } from '../../../src/protocol/index.js'
import { Harness, tick } from './harness.js'

let h: Harness
const seed = (n: number, field = (i: number) => i * 10) => {
  for (let i = 0; i < n; i++) h.serverWrite('POST', `i${i}`, { s: field(i), g: 'in' })
}
afterEach(() => h?.dispose())

describe('createLiveQuery', () => {
  it('identical queries share one LIST and one list state', async () => {
    h = new Harness()
    seed(3)
    const a = h.query({ sort: 's', pageSize: 2 })
    const b = h.query({ pageSize: 2, sort: ['s'] })
    a.subscribe(() => {})
    b.subscribe(() => {})
    await h.settle()
    expect(h.lists).toBe(1)
    expect(a.getSnapshot().ids).toEqual(['i0', 'i1'])
    expect(b.getSnapshot().ids).toBe(a.getSnapshot().ids)
  })

  it('keeps identities: same snapshot when nothing visible changed, same ids when order holds', async () => {
    h = new Harness()
    seed(4)
    const q = h.query({ sort: 's', pageSize: 2 })
    let calls = 0
    q.subscribe(() => calls++)
    await h.settle()
    const s1 = q.getSnapshot()
    expect(q.getSnapshot()).toBe(s1)
    h.serverWrite('PATCH', 'i0', { title: 'renamed' })
    await h.settle()
    const s2 = q.getSnapshot()
    expect(s2).not.toBe(s1)
    expect(s2.ids).toBe(s1.ids)
    expect(s2.items).not.toBe(s1.items)
    expect(s2.items[1]).toBe(s1.items[1])
    expect(s2.items[0]).toMatchObject({ title: 'renamed' })
    calls = 0
    h.serverWrite('PATCH', 'i3', { title: 'off the page' })
    await h.settle()
    expect(q.getSnapshot()).toBe(s2)
    h.serverWrite('PATCH', 'i1', { s: -1 })
    await h.settle()
    expect(q.getSnapshot().ids).toEqual(['i1', 'i0'])
    expect(h.lists).toBe(1) // a first page stays exact locally
  })

  it('does not apply twice what a LIST answer already includes', async () => {
    h = new Harness()
    seed(2)
    await h.settle()
    const q = h.query({ sort: 's', pageSize: 10 })
    q.subscribe(() => {})
    await tick()
    h.serverWrite('POST', 'x', { s: 5, g: 'in' }) // committed before the LIST is handled
    h.processRequest() // LIST answers at seq 3, x included
    // The ADDED of x reaches the client only after the answer (as a SUBSCRIBE replay would).
    h.outbox.reverse()
    await h.settle()
    expect(q.getSnapshot().ids).toEqual(['i0', 'x', 'i1'])
    expect(q.getSnapshot().total).toBe(3)
    expect(h.lists).toBe(1)
  })

  it('replays onto the new window what arrives after the answer was computed', async () => {
    h = new Harness()
    seed(2)
    await h.settle()
    const q = h.query({ sort: 's', pageSize: 10 })
    q.subscribe(() => {})
    await tick()
    h.processRequest() // answer at seq 2
    h.serverWrite('POST', 'x', { s: 5, g: 'in' }) // seq 3, not in the answer
    h.serverWrite('DELETE', 'i1') // seq 4
    await h.settle()
    expect(q.getSnapshot().ids).toEqual(['i0', 'x'])
    expect(q.getSnapshot().total).toBe(2)
  })

  it('refetches a page whose edge moved, once for a burst, and shows no guess meanwhile', async () => {
    h = new Harness()
    seed(9)
    const q = h.query({ sort: 's', pageSize: 3, page: 3 })
    q.subscribe(() => {})
    await h.settle()
    expect(q.getSnapshot().ids).toEqual(['i6', 'i7', 'i8'])
    for (let k = 0; k < 5; k++) h.serverWrite('POST', `n${k}`, { s: k, g: 'in' })
    for (let k = 0; k < 5; k++) h.deliver()
    const during = q.getSnapshot()
    expect(during.isFetching).toBe(true)
    expect(during.ids).toEqual([]) // every known item of page 3 was pushed to page 4
    expect(during.total).toBe(14)
    await h.settle()
    expect(h.lists).toBe(2)
    expect(q.getSnapshot().ids).toEqual(h.expected({ sort: 's', pageSize: 3, page: 3 }).ids)
    expect(q.getSnapshot().isFetching).toBe(false)
  })

  it('throttles refetches of one page', async () => {
    h = new Harness({ refetchThrottle: 80 })
    seed(6)
    const q = h.query({ sort: 's', pageSize: 2, page: 2 })
    q.subscribe(() => {})
    await h.settle()
    h.serverWrite('POST', 'n0', { s: 0, g: 'in' })
    h.deliver()
    await new Promise((r) => setTimeout(r, 10))
    h.serverWrite('POST', 'n1', { s: 1, g: 'in' })
    h.deliver()
    await new Promise((r) => setTimeout(r, 20))
    expect(h.lists).toBe(1)
    expect(q.getSnapshot().isFetching).toBe(true)
    await new Promise((r) => setTimeout(r, 80))
    await h.settle()
    expect(h.lists).toBe(2)
    expect(q.getSnapshot().ids).toEqual(h.expected({ sort: 's', pageSize: 2, page: 2 }).ids)
  })

  it('an emptied page stays empty with the right total', async () => {
    h = new Harness()
    seed(3)
    const q = h.query({ sort: 's', pageSize: 2, page: 2 })
    q.subscribe(() => {})
    await h.settle()
    expect(q.getSnapshot().ids).toEqual(['i2'])
    h.localWrite('DELETE', 'i2')
    expect(q.getSnapshot().ids).toEqual([])
    expect(q.getSnapshot().total).toBe(2)
    await h.settle()
    expect(q.getSnapshot()).toMatchObject({ ids: [], total: 2, status: 'success' })
  })

  it('retries network errors with backoff, not other errors', async () => {
    h = new Harness({ retry: 3, retryDelay: () => 1 })
    let failures = 2
    h.failList = () => (failures-- > 0 ? new LivecrudError('TIMEOUT', 'slow') : undefined)
    const original = h.context.list
    h.context.list = (q) => {
      const error = failures > 0 ? h.failList!() : undefined
      if (error) {
        h.lists++
        return Promise.reject(error)
      }
      h.failList = undefined
      return original(q)
    }
    const q = h.query({})
    q.subscribe(() => {})
    await h.settle()
    await new Promise((r) => setTimeout(r, 20))
    await h.settle()
    expect(q.getSnapshot().status).toBe('success')
    expect(h.lists).toBe(3)

    const h2 = new Harness({ retry: 3, retryDelay: () => 1 })
    h2.failList = () => new LivecrudError('FORBIDDEN', 'no')
    const q2 = h2.query({})
    q2.subscribe(() => {})
    await h2.settle()
    await new Promise((r) => setTimeout(r, 20))
    expect(h2.lists).toBe(1)
    expect(q2.getSnapshot()).toMatchObject({ status: 'error', isFetching: false })
    expect(q2.getSnapshot().error?.code).toBe('FORBIDDEN')
    h2.dispose()
  })

  it('garbage-collects unobserved lists after gcTime and stops listening to the store', async () => {
    h = new Harness({ gcTime: 10 })
    seed(2)
    const q = h.query({ pageSize: 5 })
    const off = q.subscribe(() => {})
    await h.settle()
    const listening = h.store.observerCount
    expect(listening).toBeGreaterThan(0)
    off()
    await new Promise((r) => setTimeout(r, 40))
    expect(h.store.observerCount).toBe(listening - 1)
    q.subscribe(() => {})
    await h.settle()
    expect(h.lists).toBe(2)
    expect(q.getSnapshot().ids).toEqual(['i0', 'i1'])
  })

  it('holds the collection subscription while observed, and a little longer', async () => {
    h = new Harness({ detachDelay: 20 })
    seed(2)
    const q = h.query({})
    const off = q.subscribe(() => {})
    await h.settle()
    expect(h.acquired).toBe(1)
    off()
    q.subscribe(() => {})()
    const off2 = q.subscribe(() => {}) // a StrictMode remount: no churn
    await h.settle()
    expect(h.acquired).toBe(1)
    expect(h.lists).toBe(1)
    off2()
    await new Promise((r) => setTimeout(r, 40))
    expect(h.acquired).toBe(0)
    // Detached, it may have missed events: observed again, it resubscribes and refetches.
    h.serverWrite('POST', 'x', { s: 1, g: 'in' })
    h.outbox.length = 0
    q.subscribe(() => {})
    await h.settle()
    expect(h.acquired).toBe(1)
    expect(h.lists).toBe(2)
    expect(q.getSnapshot().ids).toEqual(['i0', 'i1', 'x'])
  })

  it('an event about an item the store never held makes the page refetch, unless a LIST covers it', async () => {
    h = new Harness()
    seed(6)
    h.outbox.length = 0 // written before this client subscribed: it only learns the page
    const q = h.query({ sort: 's', pageSize: 2 })
    q.subscribe(() => {})
    await h.settle()
    expect(q.getSnapshot()).toMatchObject({ ids: ['i0', 'i1'], total: 6 })
    expect(h.store.peek('i5')).toBeUndefined()
    // Heard before a LIST that includes it: nothing more to ask.
    void q.refetch()
    h.serverWrite('PATCH', 'i5', { s: -1 })
    await h.settle()
    expect(h.lists).toBe(2)
    expect(q.getSnapshot()).toMatchObject({ ids: ['i5', 'i0'], total: 6, isFetching: false })
    // Heard after the installed LIST: the page is unsure (shown as fetching) until refetched.
    h.serverWrite('DELETE', 'i4')
    h.deliver()
    expect(q.getSnapshot()).toMatchObject({ ids: ['i5', 'i0'], total: 6, isFetching: true })
    await h.settle()
    expect(h.lists).toBe(3)
    expect(q.getSnapshot()).toMatchObject({ ids: ['i5', 'i0'], total: 5, isFetching: false })
  })

  it('refetches active lists after a reset', async () => {
    h = new Harness()
    seed(2)
    const q = h.query({})
    q.subscribe(() => {})
    await h.settle()
    h.reset()
    await h.settle()
    expect(h.lists).toBe(2)
  })

  it('survives a malformed LIST answer', async () => {
    h = new Harness()
    h.context.list = async () => {
      // As the client does, the valid items go to the store before the answer resolves.
      h.store.dispatch({ type: 'server/items', items: [{ id: 'a', _version: 1 }] })
      return { items: [null, 7, { id: 'a', _version: 1 }], total: 'x', seq: Number.NaN } as never
    }
    const q = h.query({})
    q.subscribe(() => {})
    await h.settle()
    expect(q.getSnapshot()).toMatchObject({ ids: ['a'], total: 1, status: 'success' })
  })

  it('reports an invalid query as an error without asking the server', async () => {
    h = new Harness()
    const q = h.query({ page: 0 })
    q.subscribe(() => {})
    await h.settle()
    expect(q.getSnapshot()).toMatchObject({ status: 'error', items: [], total: 0 })
    expect(q.getSnapshot().error?.code).toBe('BAD_REQUEST')
    expect(h.lists).toBe(0)
  })
})
