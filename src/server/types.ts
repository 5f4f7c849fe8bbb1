import type { IncomingMessage } from 'node:http'
import type { Namespace, Server, Socket } from 'socket.io'
import type { Filters, Id, Item, NormalizedQuery, Operation } from '../protocol/index.js'
import type { Collections } from '../protocol/schema.js'
import type { Store } from './stores/Store.js'
import type { Limits } from './limits.js'

/** What `authenticate` sees: socket.io's handshake (`auth` is the client's `{ clientId, token }`). */
export type Handshake = Socket['handshake']

/**
 * What else `authenticate` sees of a connection: the handshake's HTTP request (where
 * `io.engine.use(sessionMiddleware)` puts `request.session`) and `socket.data` (what the app's own
 * `io.use` middleware, run before livecrud's, stored).
 */
export interface AuthenticateContext {
  request: IncomingMessage
  data: Record<string, unknown>
}

/** Request kinds `authorize` is asked about (the request event names). */
export type Action = 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'SUBSCRIBE'

export interface AuthorizeContext<U = unknown> {
  user: U
  action: Action
  collection: string
  /** The item id the request targets (absent for LIST and SUBSCRIBE). */
  id?: Id
  /** Writes: the item as it would be stored. GET: the item read (null when missing). */
  item?: Item | Record<string, unknown> | null
  /** PATCH: the operations, relative to the item (paths without the id prefix). */
  patch?: Operation[]
  /** Writes: the stored item before the write (null when missing). */
  current?: Item | null
  /**
   * LIST: the normalized query. Refuse here filters or sort on fields `redact` hides from this user
   * (counts would reveal them); `serverFields` are refused automatically.
   */
  query?: NormalizedQuery
}

export interface ServerOptions<U = unknown> {
  /**
   * One Standard Schema per collection (the same object the clients get). Every POST, PUT and PATCH
   * of those collections is validated on the item it would store (after the patch), refused with
   * BAD_REQUEST and `details.issues` when invalid, and stored as the schema's output. Collections
   * without a schema are not validated. See `schemaValidation.ts`.
   */
  collections?: Collections
  /** Port to listen on (default 0 = a free port). */
  port?: number
  /** Interface to bind (default 127.0.0.1). */
  host?: string
  /** Serve https:// and wss:// with this certificate (PEM strings or buffers). Default: plain http. */
  tls?: TlsOptions
  /** Storage (default a new `MemoryStore`). `close()` closes it only when the server created it. */
  store?: Store
  /**
   * Resolves the user of a connection from its handshake; runs on every connection, reconnects
   * included, and again every `revalidateInterval`. Return null/undefined/false or throw to refuse.
   * Default: everyone is the anonymous user `null`.
   */
  authenticate?: (
    handshake: Handshake,
    context: AuthenticateContext,
  ) => U | null | undefined | false | Promise<U | null | undefined | false>
  /**
   * A stable key for a user, scoping remembered mutations (idempotent retries) and event origins:
   * two connections share results only when their user keys and client ids are equal. Default: the
   * user's `id` when it is a string or number, else the user's canonical JSON; '' for the anonymous user.
   */
  userKey?: (user: U) => string
  /**
   * Synchronous per-request decision (it runs inside the store's write transaction, so it sees the
   * exact item it authorizes). Return false to answer FORBIDDEN. Default: allow.
   */
  authorize?: (context: AuthorizeContext<U>) => boolean
  /** Filters ANDed into every LIST of this user (null/undefined = no restriction). */
  readScope?: (user: U, collection: string) => Filters | null | undefined
  /** May this user see this item (events, GET, acks)? Default: the item matches `readScope`. */
  canRead?: (user: U, collection: string, item: Item) => boolean
  /** The copy of an item this user may see (drop per-user/secret fields). Default: identity. */
  redact?: (user: U, collection: string, item: Item) => Item
  /**
   * Top-level fields never sent to clients, never client-writable and not usable in filters or sort,
   * per collection (`'*'` = every collection).
   */
  serverFields?: Record<string, readonly string[]>
  /** Let writes leave an item the writer can no longer read (default false: FORBIDDEN). */
  allowWritesOutOfScope?: boolean
  /**
   * Browser origins allowed to connect (exact `scheme://host[:port]`), `'*'` for any, or a predicate.
   * Default: same-origin only (Origin host equals the Host header). Requests without an Origin header
   * (non-browser clients) are governed by `allowNoOrigin`.
   */
  allowedOrigins?: readonly string[] | '*' | ((origin: string) => boolean)
  /** Accept connections that carry no Origin header, i.e. non-browser clients (default true). */
  allowNoOrigin?: boolean
  limits?: Partial<Limits>
  /** Re-run `authenticate` for every connection this often, in ms (default 60 000; 0 = never). */
  revalidateInterval?: number
  /** Changes kept per collection by the default memory store for SUBSCRIBE `since` (default 10 000). */
  changeRetention?: number
}

/** A certificate for `createServer({ tls })`: node's `https.createServer` options of the same names. */
export interface TlsOptions {
  key: string | Buffer
  cert: string | Buffer
  /** Extra CA certificates (an intermediate chain, or the CA of client certificates). */
  ca?: string | Buffer | Array<string | Buffer>
}

export interface LivecrudServer {
  url: string
  port: number
  io: Server
  /** The namespace livecrud serves (`/`). */
  namespace: Namespace
  store: Store
  /** Stops accepting, disconnects every client, stops timers, closes the store if it was created here. */
  close(): Promise<void>
}
