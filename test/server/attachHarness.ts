import { createClient, type ChangeEvent, type ClientOptions, type LivecrudClient } from 'livecrud'
import { expect } from 'vitest'
import { until } from '../client/helpers.js'

/** A real client (`createClient`), resolved once connected; fails on a refusal instead of waiting. */
export async function connectedClient(options: ClientOptions): Promise<LivecrudClient> {
  const client = createClient({ timeout: 10_000, unsubscribeDelay: 50, ...options })
  try {
    await until(() => client.getConnectionState() === 'connected', 10_000, 'connected')
  } catch (err) {
    client.close()
    throw err
  }
  return client
}

/**
 * `writer` does the six functions on `collection`; `watcher`, subscribed first, hears every write
 * as an event: ADDED, CHANGED (put), CHANGED (patch), REMOVED.
 */
export async function sixFunctionsAndEvents(
  writer: LivecrudClient,
  watcher: LivecrudClient,
  collection = 'todos',
): Promise<void> {
  const events: ChangeEvent[] = []
  const offEvents = watcher.onEvent((e) => {
    if (e.collection === collection) events.push(e)
  })
  const offStore = watcher.collection(collection).subscribe(() => {})
  try {
    await until(() => watcher.getSeq(collection) !== undefined, 10_000, 'subscribed')
    const posted = await writer.postItem({ title: 'one' }, collection)
    expect(await writer.getItem(posted.id, collection)).toMatchObject({ title: 'one' })
    await writer.putItem({ id: posted.id, title: 'two' }, collection)
    const patched = await writer.patchItem({ id: posted.id, done: true }, collection)
    expect(patched).toMatchObject({ id: posted.id, title: 'two', done: true })
    expect(await writer.getItems({}, collection)).toEqual([patched])
    expect(await writer.deleteItem(posted.id, collection)).toBe(true)
    expect(await writer.getItem(posted.id, collection)).toBeUndefined()
    await until(() => events.length >= 4, 10_000, 'four events')
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['ADDED', posted.id],
      ['CHANGED', posted.id],
      ['CHANGED', posted.id],
      ['REMOVED', posted.id],
    ])
  } finally {
    offStore()
    offEvents()
  }
}
