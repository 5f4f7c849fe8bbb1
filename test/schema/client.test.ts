import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import {
  createClient,
  LivecrudError,
  ServerError,
  ValidationError,
  type ClientOptions,
  type Collections,
  type LiveQuery,
  type LivecrudClient,
} from 'livecrud'
import { createServer, type LivecrudServer, type ServerOptions } from 'livecrud/server'
import { serverItems, until } from '../client/helpers.js'
import { asAsync } from './asyncSchema.js'
import { valibotCollections, zodCollections, zodTask } from './schemas.js'

let server: LivecrudServer | undefined
const open: { close(): void }[] = []
afterEach(async () => {
  for (const c of open.splice(0)) c.close()
  await server?.close()
  server = undefined
  vi.restoreAllMocks()
})

async function start(options: ServerOptions = {}) {
  server = await createServer({ host: '127.0.0.1', port: 0, ...options })
  return server
}

async function connect<C extends Collections>(
  options: Omit<ClientOptions<C>, 'url'> = {},
): Promise<LivecrudClient<C>> {
  const client = createClient<C>({
    url: server!.url,
    timeout: 3000,
    unsubscribeDelay: 50,
    ...options,
  })
  open.push(client)
  await until(() => client.getConnectionState() === 'connected', 5000, 'connected')
  return client
}

const sends = (client: object) => (client as { stats(): { writeSends: number } }).stats().writeSends

/** Resolves when the live query has left 'pending'; the query stays subscribed until `off()`. */
async function watch(query: LiveQuery<any>) {
  const off = query.subscribe(() => {})
  open.push({ close: off })
  await until(() => query.getSnapshot().status === 'success', 5000, 'list loaded')
  return () => query.getSnapshot().ids
}

describe.each([
  ['zod', zodCollections],
  ['valibot', valibotCollections],
])('client-side validation (%s)', (_name, collections) => {
  it('rejects an invalid postItem / putItem with a ValidationError before anything happens', async () => {
    await start()
    const client = await connect({ collections })
    const tasks = client.collection('tasks')
    const posted = tasks.postItem({ id: 't1', title: '' })
    await expect(posted).rejects.toBeInstanceOf(ValidationError)
    const error = (await posted.catch((e: unknown) => e)) as ValidationError
    expect(error).toBeInstanceOf(LivecrudError)
    expect(error).toMatchObject({ code: 'VALIDATION', name: 'ValidationError' })
    expect(error.issues).toEqual([{ path: ['title'], message: expect.any(String) }])
    expect(error.message).toMatch(/^invalid tasks item: title: /)
    expect(tasks.peek('t1')).toBeUndefined()
    expect(client.getPendingWrites()).toEqual([])

    // @ts-expect-error an invalid value on purpose: the runtime check is what is tested
    const put = tasks.putItem({ id: 't1', title: 'x', priority: 'urgent' })
    await expect(put).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: ['priority'] }],
    })
    expect(sends(client)).toBe(0)
    expect(await serverItems(server!, 'tasks')).toEqual([])
  })

  it('checks a merge patch and a JSON Patch on the item they produce', async () => {
    await start()
    const client = await connect({ collections })
    const tasks = client.collection('tasks')
    await tasks.postItem({ id: 't1', title: 'one' })
    const before = tasks.peek('t1')
    const sent = sends(client)
    await expect(tasks.patchItem({ id: 't1', title: '' })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: ['title'] }],
    })
    await expect(
      tasks.patchItem([{ op: 'add', path: '/t1/meta', value: { owner: 7 } }]),
    ).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ path: ['meta', 'owner'] }] })
    expect(tasks.peek('t1')).toBe(before)
    expect(tasks.getItemState('t1').hasPendingWrites).toBe(false)
    expect(sends(client)).toBe(sent)
    expect((await serverItems(server!, 'tasks'))[0]).toMatchObject({ title: 'one', _version: 1 })
    // A valid patch goes through, even over an invalid intermediate state.
    await tasks.patchItem([
      { op: 'remove', path: '/t1/title' },
      { op: 'add', path: '/t1/title', value: 'two' },
    ])
    expect(tasks.peek('t1')).toMatchObject({ title: 'two' })
  })

  it('applies the schema output optimistically, and every client receives the stored output', async () => {
    await start({ collections })
    const writer = await connect({ collections })
    const reader = await connect()
    const ids = await watch(reader.collection('tasks').query({ sort: 'title' }))
    const done = writer.collection('tasks').postItem({ id: 't1', title: '  spaced  ' })
    // Synchronous schema: applied at once, as the server will store it.
    expect(writer.collection('tasks').peek('t1')).toMatchObject({
      title: 'spaced',
      priority: 'normal',
      done: false,
    })
    const stored = { id: 't1', _version: 1, title: 'spaced', priority: 'normal', done: false }
    expect(await done).toEqual(stored)
    await until(() => ids().includes('t1'), 5000, 'reader sees t1')
    expect(reader.collection('tasks').peek('t1')).toEqual(stored)
    expect(await reader.getItem('t1', 'tasks')).toEqual(stored)
  })
})

describe('client and server schemas together', () => {
  it('rolls back an optimistic write the server refuses, in the store and the live list', async () => {
    // The server is stricter than the client: its refusal reaches an already applied write.
    const strict = zodTask.extend({ title: z.string().trim().min(1).max(5) })
    await start({ collections: { tasks: strict } })
    const client = await connect({ collections: zodCollections })
    const tasks = client.collection('tasks')
    await tasks.postItem({ id: 'keep', title: 'ok' })
    const ids = await watch(tasks.query({ sort: 'title' }))
    const changes: string[] = []
    open.push({
      close: tasks.subscribe((c) => changes.push(...c.map((x) => `${x.id}:${x.cause}`))),
    })

    const posting = tasks.postItem({ id: 'long', title: 'far too long' })
    expect(tasks.peek('long')).toMatchObject({ title: 'far too long' })
    await until(() => ids().includes('long'), 5000, 'optimistic row shown')
    const refused = await posting.catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(ServerError)
    expect(refused).toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['title'], message: expect.any(String) }] },
    })
    expect(tasks.peek('long')).toBeUndefined()
    await until(() => !ids().includes('long'), 5000, 'optimistic row removed')
    expect(ids()).toEqual(['keep'])

    const patching = tasks.patchItem({ id: 'keep', title: 'much longer' })
    expect(tasks.peek('keep')).toMatchObject({ title: 'much longer' })
    await expect(patching).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect(tasks.peek('keep')).toMatchObject({ title: 'ok', _version: 1 })
    expect(tasks.getItemState('keep').error).toMatchObject({ code: 'BAD_REQUEST' })
    expect(changes).toEqual(
      expect.arrayContaining(['long:optimistic', 'long:rollback', 'keep:rollback']),
    )
    expect(await serverItems(server!, 'tasks')).toEqual([
      { id: 'keep', _version: 1, title: 'ok', priority: 'normal', done: false },
    ])
  })

  it('leaves writes of an asynchronous schema to the server (it cannot decide before the apply)', async () => {
    const slow = asAsync(zodTask, () => new Promise((r) => setTimeout(r, 5)))
    await start({ collections: { tasks: slow } })
    const client = await connect({ collections: { tasks: slow } })
    const tasks = client.collection('tasks')
    const first = tasks.postItem({ id: 'a1', title: ' first ' })
    // Applied at once, in call order, unchecked (so not as the output yet).
    expect(tasks.peek('a1')).toMatchObject({ title: ' first ' })
    const second = tasks.patchItem({ id: 'a1', done: true })
    const third = tasks.postItem({ id: 'a2', title: '' })
    // Its refusal may arrive before `first` resolves: handle it from the start.
    const thirdRefused = expect(third).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['title'] }] },
    })
    expect(tasks.peek('a2')).toMatchObject({ title: '' })
    // The server awaited the schema: the output is stored, the invalid one refused and rolled back.
    expect(await first).toMatchObject({ title: 'first', _version: 1 })
    expect(await second).toMatchObject({ title: 'first', done: true, _version: 2 })
    await thirdRefused
    expect(tasks.peek('a2')).toBeUndefined()
    expect(await serverItems(server!, 'tasks')).toEqual([
      { id: 'a1', _version: 2, title: 'first', priority: 'normal', done: true },
    ])
  })
})

describe('validateIncoming', () => {
  /** A server without schemas and a writer that stores what the schema would refuse. */
  async function seeded() {
    await start()
    const writer = await connect()
    await writer.postItem({ id: 'bad', title: '' }, 'tasks')
    await writer.postItem({ id: 'good', title: 'fine' }, 'tasks')
    return writer
  }

  it('is off by default: items from the server are taken as they are', async () => {
    await seeded()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const client = await connect({ collections: zodCollections })
    expect(await client.getItem('bad', 'tasks')).toMatchObject({ title: '' })
    expect(warn).not.toHaveBeenCalled()
  })

  it("'warn' logs the offending id and keeps the item", async () => {
    await seeded()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const client = await connect({ collections: zodCollections, validateIncoming: 'warn' })
    expect(await client.getItem('bad', 'tasks')).toMatchObject({ title: '' })
    expect(client.collection('tasks').peek('bad')).toMatchObject({ title: '' })
    expect(warn).toHaveBeenCalledWith('livecrud: tasks/bad from the server fails its schema', [
      { path: ['title'], message: expect.any(String) },
    ])
    expect((await client.getItems({}, 'tasks')).map((t) => t.id).sort()).toEqual(['bad', 'good'])
    expect(warn.mock.calls.every(([m]) => String(m).includes('tasks/bad'))).toBe(true)
  })

  it("'drop' leaves invalid items out of reads, lists, events and the store", async () => {
    const writer = await seeded()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const client = await connect({ collections: zodCollections, validateIncoming: 'drop' })
    const tasks = client.collection('tasks')
    expect(await tasks.getItem('bad')).toBeUndefined()
    expect(tasks.peek('bad')).toBeUndefined()
    expect((await tasks.getItems()).map((t) => t.id)).toEqual(['good'])
    const ids = await watch(tasks.query({ sort: 'id' }))
    expect(ids()).toEqual(['good'])

    // Events: an invalid ADDED is not stored; a CHANGED that makes an item invalid removes it.
    await writer.postItem({ id: 'worse', title: '', priority: 'urgent' }, 'tasks')
    await writer.postItem({ id: 'later', title: 'valid' }, 'tasks')
    await until(() => ids().includes('later'), 5000, 'later arrives')
    expect(ids()).toEqual(['good', 'later'])
    expect(tasks.peek('worse')).toBeUndefined()
    await writer.patchItem({ id: 'good', title: '' }, 'tasks')
    await until(() => !ids().includes('good'), 5000, 'good removed')
    expect(tasks.peek('good')).toBeUndefined()
    // Fixed on the server: the next (valid) version comes back.
    await writer.patchItem({ id: 'good', title: 'fixed' }, 'tasks')
    await until(() => tasks.peek('good')?.title === 'fixed', 5000, 'good fixed')
    const logged = warn.mock.calls.map(([m]) => String(m))
    for (const id of ['bad', 'worse', 'good'])
      expect(logged.some((m) => m.startsWith(`livecrud: tasks/${id} from the server`))).toBe(true)
    expect(logged.some((m) => m.includes('tasks/later'))).toBe(false)
  })
})
