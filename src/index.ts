export { createClient } from './client/createClient.js'
export {
  ConflictError,
  DisconnectedError,
  QueueFullError,
  ServerError,
  TimeoutError,
  TlsError,
} from './client/errors.js'
export { LivecrudError, SERVER_ERROR_CODES } from './protocol/errors.js'
export type { ErrorCode, ServerErrorCode, ClientErrorCode, WireError } from './protocol/errors.js'
export type {
  ClientOptions,
  CollectionHandle,
  ConnectionState,
  ItemState,
  LiveQuery,
  LiveQuerySnapshot,
  LivecrudClient,
  PendingWrite,
  QueryStatus,
  StoreChange,
  UnseenChange,
  WriteOptions,
} from './client/types.js'
export type { LiveQueryContext } from './client/LiveQueryContext.js'
export type {
  ChangeEvent,
  EventMeta,
  Filters,
  FilterCondition,
  FilterOperators,
  Id,
  Item,
  ListQuery,
  ListResult,
  SortField,
  SortSpec,
  SubscribeOptions,
  SubscribeResult,
  WriteAckMeta,
  WriteMeta,
} from './protocol/types.js'
export type { Operation } from './protocol/jsonPatch.js'
