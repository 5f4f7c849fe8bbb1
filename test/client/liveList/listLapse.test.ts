import { afterEach, describe, expect, it } from 'vitest'
import { harness, until, type Harness } from '../helpers.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('a live list nobody observes', () => {
  it('an unobserved list releases the collection after unsubscribeDelay, and catches up when observed again', async () => {
    h = await harness()
    const writer = await h.client()
    for (let n = 0; n < 5; n++) await writer.postItem({ id: `r${n}`, n }, 'lapse')
    let unsubscribes = 0
    h.server.io.on('connection', (socket) =>
      socket.on('UNSUBSCRIBE', () => {
        unsubscribes++
      }),
    )
    const viewer = await h.client({ unsubscribeDelay: 100, listCacheTime: 60_000 })
    const live = viewer.collection('lapse').query({ sort: '-n', pageSize: 2 })
    const off = live.subscribe(() => {})
    await until(() => live.getSnapshot().ids.join() === 'r4,r3')
    off()
    const left = Date.now()
    await until(() => unsubscribes === 1, 900, 'UNSUBSCRIBE')
    expect(Date.now() - left).toBeGreaterThanOrEqual(90)
    // Missed while unsubscribed: the cached list is never shown as current again.
    await writer.patchItem({ id: 'r0', n: 10 }, 'lapse')
    expect(live.getSnapshot().isFetching).toBe(true)
    live.subscribe(() => {})
    expect(live.getSnapshot().isFetching).toBe(true)
    await until(() => {
      const s = live.getSnapshot()
      return s.ids.join() === 'r0,r4' && !s.isFetching
    })
  })
})
