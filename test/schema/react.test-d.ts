import { describe, expectTypeOf, it } from 'vitest'
import { createClient, type LiveQuery } from 'livecrud'
import { createHooks, LivecrudProvider, useItems as untypedUseItems } from 'livecrud/react'
import { createServer } from 'livecrud/server'
import { valibotCollections, zodCollections } from './schemas.js'

type Task = {
  id: string
  _version: number
  title: string
  priority: 'low' | 'normal' | 'high'
  done: boolean
  meta?: { estimate?: number | undefined; owner?: string | undefined } | undefined
}

// Type-level only: vitest does not run *.test-d.ts files, it type-checks them.
describe('hooks typed by one collections object', () => {
  const { useItems, useItem, useItemIds, useLiveQuery, useMutation, useLivecrudClient } =
    createHooks(zodCollections)

  it('returns the schema types without generics at the call site', () => {
    expectTypeOf(useItems('tasks').data).toEqualTypeOf<Task[]>()
    expectTypeOf(useItem('tasks', 't1').data).toEqualTypeOf<Task | undefined>()
    expectTypeOf(useLiveQuery('tasks')).toEqualTypeOf<LiveQuery<Task>>()
    expectTypeOf(useItemIds('tasks', { sort: 'title' }).ids).toEqualTypeOf<string[]>()
    expectTypeOf(useMutation('tasks').post({ title: 'x' })).resolves.toEqualTypeOf<Task>()
    expectTypeOf(useLivecrudClient().collection('tasks').peek('t1')).toEqualTypeOf<
      Task | undefined
    >()
  })

  it('refuses wrong names, fields and sort keys', () => {
    // @ts-expect-error not a collection of the map
    useItems('users')
    // @ts-expect-error a sort field Task does not have
    useItems('tasks', { sort: '-colour' })
    // @ts-expect-error a filter value of the wrong type
    useItems('tasks', { filters: { priority: 'urgent' } })
    // @ts-expect-error a field the schema does not have
    void useMutation('tasks').post({ title: 'x', colour: 'red' })
    // @ts-expect-error a wrong field in a merge patch
    void useMutation('tasks').patch({ id: 't1', titel: 'y' })
  })

  it('works with valibot schemas too', () => {
    const hooks = createHooks(valibotCollections)
    expectTypeOf(hooks.useItems('tasks').data).toEqualTypeOf<Task[]>()
    expectTypeOf(hooks.useItem('tasks', 't1').data).toEqualTypeOf<Task | undefined>()
    // @ts-expect-error not a collection of the map
    hooks.useItem('notes', 'n1')
  })

  it('takes a typed client wherever a client goes', () => {
    const client = createClient({ url: 'http://x', collections: zodCollections })
    void LivecrudProvider({ client })
    expectTypeOf(useItems('tasks', {}, { client }).data).toEqualTypeOf<Task[]>()
    expectTypeOf(untypedUseItems('anything', {}, { client }).data).toBeArray()
  })

  it('gives the server the same object', () => {
    void createServer({ collections: zodCollections })
    void createServer({ collections: valibotCollections })
    // @ts-expect-error a collection value must be a Standard Schema
    void createServer({ collections: { tasks: { parse: () => ({}) } } })
  })
})
