import { afterEach, describe, expect, it } from 'vitest'
import type { LivecrudClient, LiveQuery } from 'livecrud'
import { harness, until, type Harness } from '../helpers.js'

const COLLECTION = 'unseen'
let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** r0..r9 with n = 0..9, written by one client; a second client whose store only knows one page. */
async function setup(page: number): Promise<{
  writer: LivecrudClient
  viewer: LivecrudClient
  live: LiveQuery
}> {
  h = await harness()
  const writer = await h.client()
  for (let n = 0; n < 10; n++) await writer.postItem({ id: `r${n}`, n }, COLLECTION)
  const viewer = await h.client()
  const live = viewer
    .collection(COLLECTION)
    .query({ filters: { n: { $lt: 10 } }, sort: '-n', pageSize: 3, page })
  live.subscribe(() => {})
  await until(() => live.getSnapshot().status === 'success' && !live.getSnapshot().isFetching)
  return { writer, viewer, live }
}

async function shows(live: LiveQuery, ids: string[], total: number): Promise<void> {
  await until(
    () => {
      const s = live.getSnapshot()
      return s.ids.join() === ids.join() && s.total === total && !s.isFetching
    },
    3000,
    `page ${JSON.stringify(ids)} of ${total}`,
  ).catch((error: unknown) => {
    const s = live.getSnapshot()
    throw new Error(`${String(error)}: shows ${JSON.stringify(s.ids)} of ${s.total}`)
  })
}

describe('live lists: events about items the store never held', () => {
  it('an unknown item that moves into the page is shown, total unchanged', async () => {
    const { writer, viewer, live } = await setup(1)
    expect(live.getSnapshot().ids).toEqual(['r9', 'r8', 'r7'])
    // The store only knows the page: r2's CHANGED cannot be applied, the item is refetched.
    expect(viewer.collection(COLLECTION).getItemState('r2').status).toBe('unknown')
    await writer.patchItem({ id: 'r2', n: 9.5 }, COLLECTION)
    await shows(live, ['r2', 'r9', 'r8'], 10)
    expect(live.getSnapshot().items[0]).toMatchObject({ id: 'r2', n: 9.5 })
  })

  it('an unknown item that leaves the filter from before the page shifts the page', async () => {
    const { writer, live } = await setup(2)
    expect(live.getSnapshot().ids).toEqual(['r6', 'r5', 'r4'])
    await writer.patchItem({ id: 'r9', n: 20 }, COLLECTION)
    await shows(live, ['r5', 'r4', 'r3'], 9)
  })

  it('an unknown item that leaves the filter after the page lowers the total', async () => {
    const { writer, live } = await setup(1)
    await writer.patchItem({ id: 'r2', n: 20 }, COLLECTION)
    await shows(live, ['r9', 'r8', 'r7'], 9)
  })

  it('an unknown item removed lowers the total', async () => {
    const { writer, live } = await setup(1)
    await writer.deleteItem('r0', COLLECTION)
    await shows(live, ['r9', 'r8', 'r7'], 9)
  })

  it('an unknown item removed before the page shifts the page', async () => {
    const { writer, live } = await setup(2)
    await writer.deleteItem('r9', COLLECTION)
    await shows(live, ['r5', 'r4', 'r3'], 9)
  })
})
