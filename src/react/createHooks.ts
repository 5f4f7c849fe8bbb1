import type { LiveQuery, LivecrudClient } from '../client/types.js'
import type { Collections, InputOf, ItemOf, ListQueryOf } from '../protocol/schema.js'
import type { Id } from '../protocol/types.js'
import { useItem, type UseItemOptions, type UseItemResult } from './useItem.js'
import { useItemIds, type UseItemIdsOptions, type UseItemIdsResult } from './useItemIds.js'
import { useItems, type UseItemsOptions, type UseItemsResult } from './useItems.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'
import { useLiveQuery } from './useLiveQuery.js'
import { useMutation, type UseMutationResult } from './useMutation.js'

/** The hooks typed by a `collections` map: collection names are its keys, items its schemas' output. */
export interface TypedHooks<C extends Collections> {
  useItems<N extends keyof C & string>(
    collection: N,
    query?: ListQueryOf<ItemOf<C[N]>>,
    options?: UseItemsOptions,
  ): UseItemsResult<ItemOf<C[N]>>
  useItem<N extends keyof C & string>(
    collection: N,
    id: Id,
    options?: UseItemOptions,
  ): UseItemResult<ItemOf<C[N]>>
  useItemIds<N extends keyof C & string>(
    collection: N,
    query?: ListQueryOf<ItemOf<C[N]>>,
    options?: UseItemIdsOptions,
  ): UseItemIdsResult
  useLiveQuery<N extends keyof C & string>(
    collection: N,
    query?: ListQueryOf<ItemOf<C[N]>>,
    options?: HookOptions,
  ): LiveQuery<ItemOf<C[N]>>
  useMutation<N extends keyof C & string>(
    collection: N,
    options?: HookOptions,
  ): UseMutationResult<ItemOf<C[N]>, InputOf<C[N]>>
  useLivecrudClient(client?: LivecrudClient<C>): LivecrudClient<C>
}

/**
 * The livecrud hooks typed by your `collections` (the object given to `createClient` and
 * `createServer`); nothing changes at run time, they are the same hooks:
 *
 * ```ts
 * export const { useItems, useItem, useMutation } = createHooks(collections)
 * const { data } = useItems('tasks', { sort: '-priority' }) // data: Task[]
 * ```
 */
export function createHooks<C extends Collections>(_collections?: C): TypedHooks<C> {
  return {
    useItems,
    useItem,
    useItemIds,
    useLiveQuery,
    useMutation,
    useLivecrudClient,
  } as unknown as TypedHooks<C>
}
