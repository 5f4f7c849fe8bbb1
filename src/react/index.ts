/** livecrud/react: hooks over the framework-free client. Nothing here is needed by the core. */
export {
  LivecrudContext,
  LivecrudProvider,
  type LivecrudProviderProps,
} from './LivecrudProvider.js'
export { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'
export { useItem, type UseItemOptions, type UseItemResult } from './useItem.js'
export { useItems, type UseItemsOptions, type UseItemsResult } from './useItems.js'
export { useItemIds, type UseItemIdsOptions, type UseItemIdsResult } from './useItemIds.js'
export { useLiveQuery } from './useLiveQuery.js'
export { useMutation, type UseMutationResult } from './useMutation.js'
export { useConnectionState } from './useConnectionState.js'
export { createHooks, type TypedHooks } from './createHooks.js'
export { usePendingWrites, type UsePendingWritesOptions } from './usePendingWrites.js'
export type {
  CollectionHandle,
  ConnectionState,
  ItemState,
  LivecrudClient,
  LiveQuery,
  LiveQuerySnapshot,
  PendingWrite,
  QueryStatus,
  StoreChange,
  WriteOptions,
} from '../client/types.js'
export type { Id, Item, ListQuery } from '../protocol/types.js'
export type { Collections, InputOf, ItemOf, ListQueryOf } from '../protocol/schema.js'
export type { LivecrudError } from '../protocol/errors.js'
