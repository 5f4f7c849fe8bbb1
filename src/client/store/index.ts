export type { LocalMutation, StoreAction } from './actions.js'
export { Batcher, type Flushable } from './Batcher.js'
export {
  CollectionStore,
  type CollectionStoreOptions,
  type CollectionStoreState,
} from './CollectionStore.js'
export type { ServerLayer } from './ItemEntry.js'
export { mergePatchToOps, idPrefix, splitWireOps, toItemOps, toWireOps } from './patchPaths.js'
export type { ReplayFailure } from './replayPending.js'
export { applyItemOps, type ApplyResult } from './applyItemOps.js'
