import { afterEach, describe, expect, it } from 'vitest'
import { LivecrudError } from '../../../src/protocol/errors.js'
import type { LiveQuery } from '../../../src/client/types.js'
import { flushMicrotasks, Harness } from './harness.js'

/**
 * A LIST is answered from the database, events reach the connection through the fan-out: with several
 * server processes the answer often overtakes events it already includes (seq ≤ answer.seq). These
 * tests hold such events back and deliver them after the answer.
 */

let h: Harness | undefined
let off: (() => void) | undefined
afterEach(() => {
  off?.()
  h?.dispose()
  off = undefined
  h = undefined
})

const QUERY = { sort: 'id', pageSize: 100 }

async function start(ids: string[]): Promise<{ h: Harness; live: LiveQuery }> {
  h = new Harness()
  for (const id of ids) h.serverWrite('POST', id, { n: 1 })
  const live = h.query(QUERY)
  off = live.subscribe(() => {})
  await h.settle()
  expect(live.getSnapshot().ids).toEqual(ids)
  return { h, live }
}

/** Starts a refetch and answers it now, ahead of every message already queued for the client. */
async function answerAhead(h: Harness, live: LiveQuery): Promise<void> {
  void live.refetch()
  await flushMicrotasks()
  const i = h.requests.findIndex((r) => r.type === 'LIST')
  expect(i).toBeGreaterThanOrEqual(0)
  h.requests.unshift(...h.requests.splice(i, 1))
  const queued = h.outbox.splice(0)
  h.processRequest()
  h.deliver() // the answer, installed before the events it overtook
  await flushMicrotasks()
  h.outbox.unshift(...queued)
}

function shows(h: Harness, live: LiveQuery): void {
  const want = h.expected(QUERY)
  const snap = live.getSnapshot()
  expect(snap.ids).toEqual(want.ids)
  expect(snap.total).toBe(want.total)
}

describe('live lists: a LIST answer that overtakes events it includes', () => {
  it('an item touched during the LIST and deleted before its answer is not shown again', async () => {
    const { h, live } = await start(['a', 'b'])
    void live.refetch()
    await flushMicrotasks()
    // Heard while the LIST is in flight, included in its answer.
    h.serverWrite('PATCH', 'a', { n: 2 })
    h.deliver()
    await flushMicrotasks()
    // Deleted before the LIST reads: the answer has no `a`, its REMOVED comes after the answer.
    h.serverWrite('DELETE', 'a')
    const removed = h.outbox.splice(0)
    h.processRequest()
    h.deliver()
    await flushMicrotasks()
    expect(live.getSnapshot().ids).toEqual(['b'])
    h.outbox.push(...removed)
    await h.settle()
    shows(h, live)
    // Re-created later: shown once.
    h.serverWrite('POST', 'a', { n: 3 })
    await h.settle()
    shows(h, live)
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
    expect(h.errors).toEqual([])
  })

  it('an item with a pending write, deleted by another client before the answer, is removed by the late REMOVED', async () => {
    const { h, live } = await start(['a', 'b'])
    h.localWrite('PATCH', 'a', { n: 5 })
    h.serverWrite('DELETE', 'a')
    await answerAhead(h, live)
    // The answer has no `a`; the pending write still shows it (the store has not heard the delete).
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
    await h.settle() // the REMOVED, then the PATCH fails: NOT_FOUND
    shows(h, live)
    h.serverWrite('POST', 'a', { n: 3 })
    await h.settle()
    shows(h, live)
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
  })

  it('a confirm whose seq the answer includes still moves the item', async () => {
    const { h, live } = await start(['a', 'b'])
    h.localWrite('DELETE', 'a')
    expect(live.getSnapshot().ids).toEqual(['b'])
    // The server commits the DELETE, another client re-creates `a`; the answer overtakes the echo of
    // the DELETE (which settles the write: the item shows again, at seq 3 ≤ the answer's).
    h.processRequest() // DELETE a at seq 3, its REMOVED and its ack queued
    h.serverWrite('POST', 'a', { n: 9 })
    await answerAhead(h, live)
    await h.settle()
    shows(h, live)
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
  })
})

describe('live lists: confirms and reads', () => {
  it('a PATCH the server answers as a no-op (same version, the seq the list has) moves the item back', async () => {
    h = new Harness()
    h.serverWrite('POST', 'a', { s: 1 })
    h.serverWrite('POST', 'b', { s: 2 })
    const live = h.query({ sort: 's', pageSize: 10 })
    off = live.subscribe(() => {})
    await h.settle()
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
    h.localWrite('PATCH', 'a', { s: 3 })
    expect(live.getSnapshot().ids).toEqual(['b', 'a'])
    // The server changes nothing (e.g. a field the user cannot see): the item as it is, at its
    // version, with the collection's current seq — which the installed answer already includes.
    const w = h.requests.splice(0)[0]!
    expect(w.type).toBe('WRITE')
    h.store.dispatch({
      type: 'local/ack',
      mutationId: (w as { mutationId: string }).mutationId,
      result: h.server.get('a')!,
      meta: { seq: h.seq, version: h.server.get('a')!._version },
    })
    await h.settle()
    expect(h.store.getItemState('a')).toMatchObject({ hasPendingWrites: false, data: { s: 1 } })
    expect(live.getSnapshot().ids).toEqual(['a', 'b'])
    expect(live.getSnapshot().items.map((i) => i.s)).toEqual([1, 2])
  })

  it('a confirm past the answer of a page starts from the confirmed value, not the optimistic one', async () => {
    h = new Harness()
    for (const [id, n] of [
      ['a', 1],
      ['c', 3],
      ['d', 4],
    ] as const)
      h.serverWrite('POST', id, { s: n })
    const live = h.query({ sort: 's', pageSize: 2 })
    off = live.subscribe(() => {})
    await h.settle()
    expect(live.getSnapshot()).toMatchObject({ ids: ['a', 'c'], total: 3 })
    h.localWrite('POST', 'b', { s: 2 })
    expect(live.getSnapshot()).toMatchObject({ ids: ['a', 'b'], total: 4 })
    void live.refetch()
    await flushMicrotasks()
    const lists = h.lists
    // The LIST reads before the POST commits; the POST's ack reaches the client before the answer.
    h.requests.unshift(
      ...h.requests.splice(
        h.requests.findIndex((r) => r.type === 'LIST'),
        1,
      ),
    )
    h.processRequest() // the answer: a, c of 3
    h.processRequest() // the POST, committed past the answer: its ADDED and its ack
    const answer = h.outbox.findIndex((m) => m.type === 'list')
    const ack = h.outbox.findIndex((m) => m.type === 'ack')
    h.outbox.unshift(...h.outbox.splice(ack, 1))
    expect(answer).toBeGreaterThanOrEqual(0)
    await h.settle()
    expect(live.getSnapshot()).toMatchObject({ ids: ['a', 'b'], total: 4, isFetching: false })
    // Right at once: no second LIST.
    expect(h.lists).toBe(lists)
  })

  it('an item another list taught the store before its event reached it is shown', async () => {
    h = new Harness()
    h.serverWrite('POST', 'b', { s: 2 })
    const all = h.query({ sort: 's', pageSize: 10 })
    const firstTwo = h.query({ sort: 's', pageSize: 2 })
    off = all.subscribe(() => {})
    const offTwo = firstTwo.subscribe(() => {})
    try {
      await h.settle()
      h.serverWrite('POST', 'a', { s: 1 })
      h.serverWrite('POST', 'c', { s: 3 })
      // `all` refetches; its answer teaches the store `a` and `c` before their ADDED events, which
      // then change nothing in the store.
      await answerAhead(h, all)
      await h.settle()
      expect(all.getSnapshot().ids).toEqual(['a', 'b', 'c'])
      expect(firstTwo.getSnapshot()).toMatchObject({ ids: ['a', 'b'], total: 3 })
    } finally {
      offTwo()
    }
  })

  it('a refetch asked while a LIST was in flight is still made when that LIST fails for good', async () => {
    h = new Harness({ retry: 0 })
    for (let n = 0; n < 6; n++) h.serverWrite('POST', `i${n}`, { s: n })
    const live = h.query({ sort: 's', pageSize: 2, page: 2 })
    off = live.subscribe(() => {})
    await h.settle()
    expect(live.getSnapshot().ids).toEqual(['i2', 'i3'])
    void live.refetch()
    await flushMicrotasks()
    const list = h.requests.findIndex((r) => r.type === 'LIST')
    const inFlight = h.requests.splice(list, 1)[0] as { reject: (e: unknown) => void }
    // Heard while it is in flight: an event about an item the store never held (the page may shift).
    h.store.dispatch({
      type: 'server/removed',
      id: 'unknown',
      meta: { seq: ++h.seq, prevSeq: h.seq - 1, version: 3 },
    })
    await flushMicrotasks()
    expect(live.getSnapshot().isFetching).toBe(true)
    const before = h.lists
    inFlight.reject(new LivecrudError('FORBIDDEN', 'no'))
    await h.settle()
    expect(h.lists).toBe(before + 1)
    expect(live.getSnapshot()).toMatchObject({
      ids: ['i2', 'i3'],
      status: 'success',
      isFetching: false,
    })
  })
})

describe('live lists: a read that overtakes events a paged answer counted', () => {
  it('an item counted before the page, read by another list after it left the set, is not counted', async () => {
    h = new Harness()
    const query = {
      sort: ['-score', 'group'],
      filters: { group: { $in: ['x', 'y'] } },
      pageSize: 2,
    }
    const paged = h.query({ ...query, page: 2 })
    const all = h.query({ pageSize: 100 })
    const offAll = all.subscribe(() => {})
    off = paged.subscribe(() => {})
    try {
      await h.settle()
      // The page-2 answer counts `c` (page 1, which this client never read): total 1, no items.
      h.serverWrite('POST', 'c', { score: null, group: 'x' })
      await answerAhead(h, paged)
      expect(paged.getSnapshot()).toMatchObject({ ids: [], total: 1 })
      // `c` leaves the set; the other list's answer teaches the store `c` as it is now, ahead of
      // both events (which then change nothing in the store): the page cannot tell whether the
      // answer had counted it.
      h.serverWrite('PATCH', 'c', { group: 'z' })
      await answerAhead(h, all)
      await h.settle()
      expect(paged.getSnapshot()).toMatchObject({ ids: [], total: 0, isFetching: false })
      expect(all.getSnapshot()).toMatchObject({ ids: ['c'], total: 1 })
      expect(h.errors).toEqual([])
    } finally {
      offAll()
    }
  })

  it('the same read heard while the page is being refetched makes the answer inexact', async () => {
    h = new Harness()
    // `c` was created before this client subscribed: its store never hears the ADDED.
    h.serverWrite('POST', 'c', { score: null, group: 'x' })
    h.outbox.splice(0)
    h.serverWrite('POST', 'd', { score: 1, group: 'z' })
    const query = {
      sort: ['-score', 'group'],
      filters: { group: { $in: ['x', 'y'] } },
      pageSize: 2,
    }
    const paged = h.query({ ...query, page: 2 })
    const other = h.query({ filters: { group: 'z' }, pageSize: 10 })
    const offOther = other.subscribe(() => {})
    off = paged.subscribe(() => {})
    try {
      await h.settle()
      expect(paged.getSnapshot()).toMatchObject({ ids: [], total: 1 })
      expect(h.store.peek('c')).toBeUndefined()
      // The page's LIST reads (counting `c`), then `c` leaves the set, then the other list reads it.
      void paged.refetch()
      await flushMicrotasks()
      h.processRequest()
      h.serverWrite('PATCH', 'c', { group: 'z' })
      void other.refetch()
      await flushMicrotasks()
      h.processRequest()
      // The other answer arrives first, then the page's, then the CHANGED (a no-op in the store by then).
      const [pagedAnswer, changed, otherAnswer] = h.outbox.splice(0)
      expect([pagedAnswer?.type, changed?.type, otherAnswer?.type]).toEqual([
        'list',
        'event',
        'list',
      ])
      h.outbox.push(otherAnswer!, pagedAnswer!, changed!)
      await h.settle()
      expect(paged.getSnapshot()).toMatchObject({ ids: [], total: 0, isFetching: false })
      expect(h.errors).toEqual([])
    } finally {
      offOther()
    }
  })
})
