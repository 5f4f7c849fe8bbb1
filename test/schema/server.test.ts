import { afterEach, describe, expect, it } from 'vitest'
import type { LivecrudServer } from 'livecrud/server'
import {
  closeAll,
  connect,
  ok,
  recordEvents,
  request,
  settle,
  startServer,
  wm,
  type Client,
} from '../server/helpers.js'
import { asAsync } from './asyncSchema.js'
import { valibotCollections, zodCollections, zodTask } from './schemas.js'

let server: LivecrudServer | undefined
const clients: Client[] = []
afterEach(async () => {
  server = await closeAll(server, clients)
})

async function start(collections: Parameters<typeof startServer>[0] = {}) {
  server = await startServer(collections)
  const a = await connect(server)
  const b = await connect(server)
  clients.push(a, b)
  await ok(b, 'SUBSCRIBE', 'tasks')
  return { a, b, events: recordEvents(b), store: server.store }
}

describe.each([
  ['zod', zodCollections],
  ['valibot', valibotCollections],
])('server-side validation (%s)', (_name, collections) => {
  it('refuses an invalid POST, PUT and merge PATCH with details.issues; nothing written', async () => {
    const { a, b, events, store } = await start({ collections })
    const post = await request(a, 'POST', 'tasks', { id: 't1', title: '' }, wm())
    expect(post.err).toMatchObject({ code: 'BAD_REQUEST' })
    expect(post.err!.details).toEqual({
      issues: [{ path: ['title'], message: expect.any(String) }],
    })
    expect(post.err!.message).toMatch(/^invalid tasks item: title: /)
    expect(await store.get('tasks', 't1')).toBeNull()

    await ok(a, 'POST', 'tasks', { id: 't1', title: 'ok' }, wm())
    const put = await request(a, 'PUT', 'tasks', { id: 't1', title: 'x', priority: 'urgent' }, wm())
    expect(put.err).toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['priority'] }] },
    })
    const merge = await request(a, 'PATCH', 'tasks', { id: 't1', done: 'yes' }, wm())
    expect(merge.err).toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['done'] }] },
    })
    expect(merge.err!.details).not.toHaveProperty('index')
    expect(await store.get('tasks', 't1')).toMatchObject({ title: 'ok', _version: 1 })
    await settle(b)
    expect(events.map((e) => e.type)).toEqual(['ADDED'])
  })

  it('validates a JSON Patch on the item it produces and names the failing op', async () => {
    const { a, store } = await start({ collections })
    await ok(a, 'POST', 'tasks', { id: 't1', title: 'ok', meta: { owner: 'ann' } }, wm())
    const ops = [
      { op: 'replace', path: '/t1/done', value: true },
      { op: 'replace', path: '/t1/meta/owner', value: 5 },
      { op: 'add', path: '/t1/meta/estimate', value: 2 },
    ]
    const patch = await request(a, 'PATCH', 'tasks', ops, wm())
    expect(patch.err).toMatchObject({
      code: 'BAD_REQUEST',
      details: { index: 1, issues: [{ path: ['meta', 'owner'], message: expect.any(String) }] },
    })
    expect(patch.err!.message).toMatch(/^patch op 1 leaves the tasks item invalid: meta\.owner: /)
    const removal = await request(a, 'PATCH', 'tasks', [{ op: 'remove', path: '/t1/title' }], wm())
    expect(removal.err).toMatchObject({ details: { index: 0, issues: [{ path: ['title'] }] } })
    // Intermediate states may be invalid: only the result counts.
    const valid = [
      { op: 'replace', path: '/t1/title', value: '' },
      { op: 'replace', path: '/t1/title', value: 'again' },
    ]
    expect((await ok(a, 'PATCH', 'tasks', valid, wm())).result).toMatchObject({ title: 'again' })
    expect(await store.get('tasks', 't1')).toMatchObject({ title: 'again', done: false })
  })

  it('stores the schema output: defaults filled in, strings trimmed, unknown keys as the schema says', async () => {
    const { a, b, events, store } = await start({ collections })
    const { result } = await ok(a, 'POST', 'tasks', { id: 't1', title: '  padded  ' }, wm())
    const stored = { id: 't1', _version: 1, title: 'padded', priority: 'normal', done: false }
    expect(result).toEqual(stored)
    expect(await store.get('tasks', 't1')).toEqual(stored)
    await settle(b)
    expect(events[0]).toMatchObject({ type: 'ADDED', item: stored })
    const patched = await ok(a, 'PATCH', 'tasks', { id: 't1', title: ' b ' }, wm())
    expect(patched.result).toMatchObject({ title: 'b', _version: 2 })
    await settle(b)
    expect(events[1]).toMatchObject({
      type: 'CHANGED',
      ops: [{ op: 'replace', path: '/title', value: 'b' }],
    })
  })
})

describe('server-side validation', () => {
  it('refuses a raw socket.io client that bypasses any client-side check', async () => {
    const { a, b, events, store } = await start({ collections: zodCollections })
    for (const bad of [
      { id: 'r1' },
      { id: 'r1', title: 'x'.repeat(201) },
      { id: 'r1', title: 1 },
    ]) {
      const answer = await request(a, 'POST', 'tasks', bad, wm())
      expect(answer.err?.code).toBe('BAD_REQUEST')
      expect(Array.isArray((answer.err!.details as { issues: unknown[] }).issues)).toBe(true)
    }
    expect(await store.get('tasks', 'r1')).toBeNull()
    expect(
      (await store.list('tasks', { page: 1, pageSize: 10, sort: [], filters: {} })).total,
    ).toBe(0)
    await settle(b)
    expect(events).toEqual([])
  })

  it('leaves collections without a schema unvalidated', async () => {
    const { a } = await start({ collections: zodCollections })
    expect((await ok(a, 'POST', 'notes2', { id: 'n', anything: 1 }, wm())).result).toMatchObject({
      anything: 1,
    })
  })

  it('awaits an asynchronous schema outside the write (POST, PUT, PATCH)', async () => {
    const schema = asAsync(zodTask)
    const { a, store } = await start({ collections: { tasks: schema } })
    expect((await ok(a, 'POST', 'tasks', { id: 't1', title: ' a ' }, wm())).result).toMatchObject({
      title: 'a',
      priority: 'normal',
    })
    const bad = await request(a, 'PUT', 'tasks', { id: 't1', title: '' }, wm())
    expect(bad.err).toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['title'] }] },
    })
    const patched = await ok(
      a,
      'PATCH',
      'tasks',
      [{ op: 'replace', path: '/t1/title', value: ' c' }],
      wm(),
    )
    expect(patched.result).toMatchObject({ title: 'c', _version: 2 })
    const badPatch = await request(a, 'PATCH', 'tasks', { id: 't1', priority: 'x' }, wm())
    expect(badPatch.err).toMatchObject({ details: { issues: [{ path: ['priority'] }] } })
    expect(await store.get('tasks', 't1')).toMatchObject({ title: 'c', _version: 2 })
  })

  it('re-validates a PATCH whose item changed while its asynchronous schema ran', async () => {
    let racer: (() => Promise<void>) | undefined
    const schema = asAsync(zodTask, async () => {
      const run = racer
      racer = undefined
      await run?.()
    })
    const { a, store } = await start({ collections: { tasks: schema } })
    const b = clients[1]!
    await ok(a, 'POST', 'tasks', { id: 't1', title: 'a' }, wm())
    // While the PATCH's first validation runs, another client changes the item.
    racer = async () => {
      await ok(b, 'PATCH', 'tasks', { id: 't1', done: true }, wm())
    }
    schema.calls.length = 0
    const { result } = await ok(a, 'PATCH', 'tasks', { id: 't1', title: 'b' }, wm())
    expect(result).toMatchObject({ title: 'b', done: true, _version: 3 })
    expect(await store.get('tasks', 't1')).toMatchObject({ title: 'b', done: true })
    const patchedTitles = schema.calls.map((c) => (c as { title: string }).title)
    // The racing PATCH's own validation, then ours twice: on the item first planned, then on the new one.
    expect(patchedTitles.filter((t) => t === 'b')).toHaveLength(2)
  })

  it('gives up with CONFLICT when the item keeps changing under an asynchronous validation', async () => {
    let n = 0
    let writeBehind = false
    const schema = asAsync(zodTask, async (value) => {
      if (!writeBehind || (value as { title: string }).title !== 'mine') return
      await server!.store.write({
        collection: 'tasks',
        id: 't1',
        mutationId: `racer-${++n}`,
        decide: () => ({
          action: 'put',
          item: { title: 'a', done: n % 2 === 1 },
        }),
      })
    })
    const { a, store } = await start({ collections: { tasks: schema } })
    await ok(a, 'POST', 'tasks', { id: 't1', title: 'a' }, wm())
    writeBehind = true
    const answer = await request(a, 'PATCH', 'tasks', { id: 't1', title: 'mine' }, wm())
    expect(answer.err).toMatchObject({ code: 'CONFLICT', details: { current: { id: 't1' } } })
    expect((await store.get('tasks', 't1'))!.title).toBe('a')
  })
})
