import type { Collections } from '../../protocol/schema.js'
import type { Connection } from '../Connection.js'
import type { Fanout } from '../fanout.js'
import type { Limits } from '../limits.js'
import type { Policy } from '../Policy.js'
import type { Store } from '../stores/Store.js'

/** What every handler gets: the server's parts and the calling connection. */
export interface HandlerContext<U = unknown> {
  store: Store
  policy: Policy<U>
  limits: Limits
  fanout: Fanout
  allowWritesOutOfScope: boolean
  /** One Standard Schema per collection (`ServerOptions.collections`): writes are validated. */
  schemas?: Collections | undefined
  conn: Connection<U>
}

/** A handler's answer: the ack's result and meta, and work to do right after the ack is sent. */
export interface Reply {
  result: unknown
  meta?: unknown
  after?: () => void
}

export type Handler = (ctx: HandlerContext<any>, args: unknown[]) => Promise<Reply>
