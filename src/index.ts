export { createClient } from './client/createClient.js'
export {
  ConflictError,
  DisconnectedError,
  QueueFullError,
  ServerError,
  TimeoutError,
  TlsError,
  ValidationError,
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
  CollectionName,
  PatchInput,
  PendingWrite,
  PostInput,
  PutInput,
  QueryInput,
  Untyped,
  QueryStatus,
  StoreChange,
  UnseenChange,
  WriteOptions,
} from './client/types.js'
export type { LiveQueryContext } from './client/LiveQueryContext.js'
export type { Persistence, PersistenceState } from './client/persistence.js'
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
export type {
  Collections,
  FieldPath,
  FiltersOf,
  InputOf,
  ItemOf,
  ListQueryOf,
  SortKeyOf,
  SortSpecOf,
  ValidationIssue,
} from './protocol/schema.js'
