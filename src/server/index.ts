/** livecrud/server — the reference server (Node only). */
export { createServer } from './createServer.js'
export { attach, type AttachOptions, type AttachTarget, type Attached } from './attach.js'
export { MemoryStore, type MemoryStoreOptions } from './stores/MemoryStore.js'
export { createStoreFromUrl } from './stores/fromUrl.js'
export { PostgresStore, type PostgresStoreOptions } from './stores/postgres/PostgresStore.js'
export { RedisStore, type RedisStoreOptions } from './stores/redis/RedisStore.js'
export { DEFAULT_LIMITS, type Limits } from './limits.js'
export type {
  Action,
  AuthenticateContext,
  AuthorizeContext,
  Handshake,
  LivecrudServer,
  ServerOptions,
  TlsOptions,
} from './types.js'
export type {
  ChangeRecord,
  ChangesSince,
  Store,
  WriteDecision,
  WriteRequest,
  WriteResult,
} from './stores/Store.js'
export type { Collections, ValidationIssue } from '../protocol/schema.js'
