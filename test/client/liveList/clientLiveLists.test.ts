import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LivecrudClient } from 'livecrud'
import type { ClientCore } from '../../../src/client/ClientCore.js'
import { liveListsOf } from '../../../src/client/liveList/index.js'
import { harness, until, type Harness } from '../helpers.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const listsOf = (client: LivecrudClient, collection: string) =>
  liveListsOf((client as unknown as ClientCore).liveQueryContext(collection))

describe('the live lists of a client', () => {
  it('share one QueryClient across collections; close() disposes the lists and clears it', async () => {
    h = await harness()
    const client = await h.client()
    await client.postItem({ id: 'a1', n: 1 }, 'colA')
    await client.postItem({ id: 'b1', n: 1 }, 'colB')
    const a = client.collection('colA').query({ sort: 'n' })
    const b = client.collection('colB').query({ sort: 'n' })
    a.subscribe(() => {})
    b.subscribe(() => {})
    await until(() => a.getSnapshot().ids.length === 1 && b.getSnapshot().ids.length === 1)
    const queryClient = listsOf(client, 'colA').queryClient
    expect(listsOf(client, 'colB').queryClient).toBe(queryClient)
    expect(queryClient.getQueryCache().getAll()).toHaveLength(2)
    const unmount = vi.spyOn(queryClient, 'unmount')

    client.close()

    expect(queryClient.getQueryCache().getAll()).toHaveLength(0)
    expect(unmount).toHaveBeenCalledTimes(1)
    // Another client has its own.
    const other = await h.client()
    expect(listsOf(other, 'colA').queryClient).not.toBe(queryClient)
  })
})
