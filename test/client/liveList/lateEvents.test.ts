import { afterEach, describe, expect, it } from 'vitest'
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
