import { MAX_PAGE_SIZE } from '../protocol/index.js'

/** Server-side bounds; every one is configurable through `createServer({ limits })`. */
export interface Limits {
  /** Largest socket.io message in bytes; bigger ones close the connection (default 1 MB). */
  maxHttpBufferSize: number
  /** Largest item, as JSON bytes (default 256 KiB). */
  maxItemBytes: number
  /** Deepest nesting of objects/arrays inside an item (default 32). */
  maxDepth: number
  /** Largest LIST page (default 1 000). */
  maxPageSize: number
  /** Most operations in one JSON Patch (default 100). */
  maxPatchOps: number
  /** Requests of one connection awaiting their answer (default 64). */
  maxInFlight: number
  /** Sustained requests per second per connection (default 200; bursts up to the same number). */
  maxRequestsPerSecond: number
  /** Time a client has to finish the handshake middleware, ms (default 10 000). */
  authTimeout: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHttpBufferSize: 1_000_000,
  maxItemBytes: 256 * 1024,
  maxDepth: 32,
  maxPageSize: MAX_PAGE_SIZE,
  maxPatchOps: 100,
  maxInFlight: 64,
  maxRequestsPerSecond: 200,
  authTimeout: 10_000,
})

export function resolveLimits(limits: Partial<Limits> | undefined): Limits {
  const out: Limits = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const v = limits?.[key]
    if (v !== undefined) {
      if (typeof v !== 'number' || !(v > 0)) throw new TypeError(`limits.${key} must be > 0`)
      out[key] = v
    }
  }
  return out
}
