import type { ReactNode } from 'react'
import { cleanup, renderHook, waitFor } from '@testing-library/react'
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from 'livecrud'
import { indexedDBPersistence } from 'livecrud/persist'
import { LivecrudProvider, useItem, useItemIds, useItems } from 'livecrud/react'
import { openDb, run } from '../../src/persist/idb.js'

let client: LivecrudClient | undefined
afterEach(() => {
  cleanup()
  client?.close()
})

/** A database holding a cached collection, and a client on it whose server never answers. */
async function cachedClient(): Promise<LivecrudClient> {
  const factory = new IDBFactory()
  const db = await openDb(factory, 'livecrud:react', () => {})
  const items = [
    { id: 'b', _version: 1, title: 'B' },
    { id: 'a', _version: 2, title: 'A' },
  ]
  await run(db, 'cache', 'readwrite', (tx) =>
    tx
      .objectStore('cache')
      .put({ c: 'todos', seq: 7, n: 2, at: Date.now(), items: JSON.stringify(items) }, 'todos'),
  )
  db.close()
  return createClient({
    url: 'http://127.0.0.1:9',
    persistence: indexedDBPersistence({ name: 'react', indexedDB: factory }),
  })
}

const wrapper = (c: LivecrudClient) =>
  function Wrapper({ children }: { children: ReactNode }) {
    return <LivecrudProvider client={c}>{children}</LivecrudProvider>
  }

describe('hooks over a persisted client', () => {
  it('render the cached page and items, marked fromCache, with the server unreachable', async () => {
    client = await cachedClient()
    const { result } = renderHook(
      () => ({
        ids: useItemIds('todos', { sort: 'id' }),
        items: useItems('todos', { sort: '-id' }),
        a: useItem('todos', 'a'),
      }),
      { wrapper: wrapper(client) },
    )
    await waitFor(() => expect(result.current.ids.ids).toEqual(['a', 'b']))
    expect(result.current.ids).toMatchObject({ status: 'success', fromCache: true })
    expect(result.current.items.data.map((i) => i.id)).toEqual(['b', 'a'])
    expect(result.current.items.fromCache).toBe(true)
    expect(client.collection('todos').getItemState('a')).toMatchObject({
      fromCache: true,
      data: { title: 'A' },
    })
    expect(result.current.a.data).toMatchObject({ title: 'A' })
  })
})
