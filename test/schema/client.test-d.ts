import { describe, expectTypeOf, it } from 'vitest'
import { createClient, type CollectionHandle, type Item, type LiveQuery } from 'livecrud'
import { valibotCollections, zodCollections } from './schemas.js'

type Task = {
  id: string
  _version: number
  title: string
  priority: 'low' | 'normal' | 'high'
  done: boolean
  meta?: { estimate?: number | undefined; owner?: string | undefined } | undefined
}

describe('typed client (zod)', () => {
  const client = createClient({ url: 'http://x', collections: zodCollections })
  const tasks = client.collection('tasks')

  it('types the handle, reads and the store from the schema', () => {
    expectTypeOf(tasks.peek('a')).toEqualTypeOf<Task | undefined>()
    expectTypeOf(tasks.getItem('a')).resolves.toEqualTypeOf<Task | undefined>()
    expectTypeOf(tasks.getItems()).resolves.toEqualTypeOf<Task[]>()
    expectTypeOf(tasks.query({ sort: '-priority' })).toEqualTypeOf<LiveQuery<Task>>()
    expectTypeOf(client.getItem('a', 'tasks')).resolves.toEqualTypeOf<Task | undefined>()
    expectTypeOf(client.collection('notes').peek('n')).toEqualTypeOf<
      { id: string; _version: number; body: string } | undefined
    >()
  })

  it('takes the input type for writes: defaults and id optional', () => {
    expectTypeOf(tasks.postItem({ title: 'x' })).resolves.toEqualTypeOf<Task>()
    void tasks.postItem({ id: 't1', title: 'x', priority: 'high' })
    void tasks.putItem({ id: 't1', title: 'x' })
    void tasks.patchItem({ id: 't1', done: true })
    void tasks.patchItem([{ op: 'replace', path: '/t1/title', value: 'y' }])
    void client.postItem({ title: 'x' }, 'tasks')
    // @ts-expect-error a field the schema does not have
    void tasks.postItem({ title: 'x', colour: 'red' })
    // @ts-expect-error a wrong value type
    void tasks.postItem({ title: 'x', priority: 'urgent' })
    // @ts-expect-error title is required
    void tasks.postItem({ priority: 'low' })
    // @ts-expect-error putItem needs the id
    void tasks.putItem({ title: 'x' })
    // @ts-expect-error a wrong field in a merge patch
    void tasks.patchItem({ id: 't1', titel: 'y' })
  })

  it('types sort and filters by field', () => {
    void tasks.query({ sort: ['priority', '-title'], filters: { priority: { $in: ['low'] } } })
    void tasks.query({ sort: [{ field: 'meta.estimate', dir: 'desc' }] })
    void tasks.getItems({ filters: { done: false, 'meta.owner': 'ann' } })
    // @ts-expect-error a sort field Task does not have
    void tasks.query({ sort: 'colour' })
    // @ts-expect-error a filter value of the wrong type
    void tasks.query({ filters: { done: 'yes' } })
  })

  it('refuses collection names it does not know', () => {
    // @ts-expect-error not a collection of this client
    client.collection('users')
    // @ts-expect-error not a collection of this client
    void client.getItem('a', 'users')
    // @ts-expect-error no generics on a typed client
    client.collection<Item>('tasks')
  })
})

describe('typed client (valibot)', () => {
  const client = createClient({ url: 'http://x', collections: valibotCollections })
  const tasks = client.collection('tasks')

  it('types the handle and writes from the schema', () => {
    expectTypeOf(tasks.peek('a')).toEqualTypeOf<Task | undefined>()
    expectTypeOf(tasks.postItem({ title: 'x' })).resolves.toEqualTypeOf<Task>()
    // @ts-expect-error a field the schema does not have
    void tasks.postItem({ title: 'x', colour: 'red' })
    // @ts-expect-error a sort field Task does not have
    void tasks.query({ sort: 'colour' })
    // @ts-expect-error not a collection of this client
    client.collection('notes')
  })
})

describe('client without collections', () => {
  const client = createClient({ url: 'http://x' })

  it('stays loosely typed, generics as before', () => {
    expectTypeOf(client.collection('anything')).toEqualTypeOf<CollectionHandle<Item>>()
    expectTypeOf(client.collection<Task>('tasks').peek('a')).toEqualTypeOf<Task | undefined>()
    void client.collection('x').query({ sort: 'whatever', filters: { any: 1 } })
    void client.postItem({ anything: 1 }, 'x')
  })
})
