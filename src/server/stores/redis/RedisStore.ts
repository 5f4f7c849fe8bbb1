import { Redis, type RedisOptions } from 'ioredis'
import {
  applyQuery,
  compileFilter,
  LivecrudError,
  type Filters,
  type Id,
  type Item,
  type NormalizedQuery,
  type WireError,
} from '../../../protocol/index.js'
import type { ChangeRecord, ChangesSince, Store, WriteRequest, WriteResult } from '../Store.js'
import { idCandidates } from '../idCandidates.js'
import { LogFeed } from '../postgres/LogFeed.js'
import { WRITE_SCRIPT } from './redisScripts.js'
import { requestOrigin } from '../../origin.js'
import { judge, refusalError } from '../decisions.js'

export interface RedisStoreOptions {
  /** Prefix of every key and of the pub/sub channel (default `livecrud:`). */
  prefix?: string
  /** Changes kept per collection for `changesSince` (default 10 000). Older cursors get `tooOld`. */
  changeRetention?: number
  /** How long a mutation result is remembered for idempotent retries, seconds (default 86 400). */
  mutationTtlSeconds?: number
  /** Mutation results remembered per collection, newest kept (default 10 000, as the other stores). */
  mutationRetention?: number
  /** Safety-net poll of the change log, ms (default 5 000; 0 disables). */
  pollMs?: number
  /** ioredis options merged over the URL's. */
  redis?: RedisOptions
}

type StreamEntry = [id: string, fields: string[]]
type WriteReply = ['dup', string, string, string, string, string] | ['retry'] | ['ok', string]

const MAX_ATTEMPTS = 20

interface RedisWithWrite extends Redis {
  livecrudWrite(...args: (string | number)[]): Promise<WriteReply>
}

function entryToChange(collection: string, [id, fields]: StreamEntry): ChangeRecord {
  const json = fields[fields.indexOf('c') + 1] ?? '{}'
  return {
    ...(JSON.parse(json) as Omit<ChangeRecord, 'seq' | 'collection'>),
    collection,
    seq: Number(id.split('-')[0]),
  }
}

/**
 * The store on Redis. Per collection: a hash of live items (JSON), a hash of versions (tombstones
 * included), a stream as change log (entry ID `<seq>-0`, trimmed to the retention), the seq in a
 * shared hash, and one expiring hash per remembered mutation. Writes commit through one Lua script
 * (compare-and-set on the version read before `decide`), which also PUBLISHes `seq:collection`;
 * every store's subscriber then reads the stream from its own position (`LogFeed`).
 *
 * LIST: Redis has no query language over JSON values, so the collection's items are loaded
 * (`HVALS`, in the same MULTI as the seq) and evaluated with the shared `applyQuery` — exact by
 * construction, O(collection size) per LIST.
 */
export class RedisStore implements Store {
  readonly kind = 'redis'
  private readonly feed: LogFeed
  private readonly retention: number
  private readonly ttl: number
  private readonly mutationRetention: number
  private readonly channel: string
  private closed = false

  private constructor(
    private readonly redis: RedisWithWrite,
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly ownsClient: boolean,
    options: RedisStoreOptions,
  ) {
    this.retention = Math.max(1, options.changeRetention ?? 10_000)
    this.ttl = Math.max(1, Math.floor(options.mutationTtlSeconds ?? 86_400))
    this.mutationRetention = Math.max(1, Math.floor(options.mutationRetention ?? 10_000))
    this.channel = `${prefix}changes`
    this.feed = new LogFeed(
      {
        read: async (collection, after, limit) => {
          const entries = (await this.redis.xrange(
            this.key('log', collection),
            `${after + 1}-0`,
            '+',
            'COUNT',
            limit,
          )) as StreamEntry[]
          return entries.map((e) => entryToChange(collection, e))
        },
        heads: async () => {
          const all = await this.redis.hgetall(`${prefix}seqs`)
          return new Map(Object.entries(all).map(([c, s]) => [c, Number(s)]))
        },
      },
      { pollMs: options.pollMs },
    )
  }

  /** Connects to `redis://host:port/db`; `?prefix=` in the URL sets the key prefix. */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const parsed = new URL(url)
    const prefix = options.prefix ?? parsed.searchParams.get('prefix') ?? 'livecrud:'
    parsed.search = ''
    const redis = new Redis(parsed.toString(), {
      maxRetriesPerRequest: 3,
      ...options.redis,
    })
    redis.on('error', (err: Error) =>
      console.warn('livecrud: Redis connection error:', err.message),
    )
    return RedisStore.open(redis, true, { ...options, prefix })
  }

  /**
   * An existing ioredis client (yours to configure and to quit: `close()` leaves it open). The
   * feed subscribes on a duplicate of it, which the store owns. `options.redis` is not used.
   */
  static fromClient(redis: Redis, options: RedisStoreOptions = {}): Promise<RedisStore> {
    return RedisStore.open(redis, false, options)
  }

  private static async open(
    client: Redis,
    ownsClient: boolean,
    options: RedisStoreOptions,
  ): Promise<RedisStore> {
    // ioredis would prefix keys but not the pub/sub channel nor keys the script derives.
    if (client.options.keyPrefix)
      throw new LivecrudError('INTERNAL', 'RedisStore: use the `prefix` option, not keyPrefix')
    const prefix = options.prefix ?? 'livecrud:'
    const redis = client as RedisWithWrite
    if (typeof redis.livecrudWrite !== 'function')
      redis.defineCommand('livecrudWrite', { numberOfKeys: 6, lua: WRITE_SCRIPT })
    const sub = redis.duplicate({ connectionName: `livecrud-sub:${prefix}` })
    sub.on('error', (err: Error) => console.warn('livecrud: Redis subscriber error:', err.message))
    const store = new RedisStore(redis, sub, prefix, ownsClient, options)
    try {
      await store.start()
    } catch (err) {
      await store.close()
      throw err
    }
    return store
  }

  private async start(): Promise<void> {
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel !== this.channel) return
      const colon = payload.indexOf(':')
      const seq = Number(payload.slice(0, colon))
      if (colon > 0 && Number.isSafeInteger(seq)) this.feed.wake(payload.slice(colon + 1), seq)
    })
    // Subscribe before reading the heads: a change committed in between is both announced and read.
    await this.sub.subscribe(this.channel)
    await this.feed.start()
    // Fires on every reconnect (ioredis resubscribes by itself); what was published meanwhile is lost: read the log.
    this.sub.on('ready', () => {
      this.feed.catchUpAll()
      setTimeout(() => this.feed.catchUpAll(), 100).unref()
    })
  }

  private key(kind: 'items' | 'versions' | 'log' | 'muts', collection: string): string {
    return `${this.prefix}${kind}:${collection}`
  }

  private mutationKey(collection: string, origin: string, mutationId: string): string {
    return `${this.prefix}mut:${collection}:${JSON.stringify([origin, mutationId])}`
  }

  get feedGaps(): number {
    return this.feed.gaps
  }

  private check(): void {
    if (this.closed) throw new LivecrudError('INTERNAL', 'store is closed')
  }

  async get(collection: string, id: Id): Promise<Item | null> {
    this.check()
    const json = await this.redis.hget(this.key('items', collection), id)
    return json === null ? null : (JSON.parse(json) as Item)
  }

  async list(
    collection: string,
    query: NormalizedQuery,
    scope?: Filters,
  ): Promise<{ items: Item[]; total: number; seq: number }> {
    this.check()
    // Only the ids the query can match when it names them (the resync refetch does): HMGET those
    // instead of HVALS of the whole collection.
    const ids = idCandidates(query.filters)
    const tx = this.redis.multi().hget(`${this.prefix}seqs`, collection)
    if (ids === undefined) tx.hvals(this.key('items', collection))
    else if (ids.length > 0) tx.hmget(this.key('items', collection), ...ids)
    const res = await tx.exec()
    const seq = Number((res?.[0]?.[1] as string | null) ?? 0)
    const found = ((res?.[1]?.[1] as (string | null)[] | null) ?? []).filter((j) => j !== null)
    let all = found.map((j) => JSON.parse(j) as Item)
    if (scope && Object.keys(scope).length > 0) all = all.filter(compileFilter(scope))
    return { ...applyQuery(all, query), seq }
  }

  async seq(collection: string): Promise<number> {
    this.check()
    return Number((await this.redis.hget(`${this.prefix}seqs`, collection)) ?? 0)
  }

  async changesSince(collection: string, since: number): Promise<ChangesSince> {
    this.check()
    const from = Number.isSafeInteger(since) && since >= 0 ? since + 1 : 1
    const res = await this.redis
      .multi()
      .hget(`${this.prefix}seqs`, collection)
      .xrange(this.key('log', collection), `${from}-0`, '+', 'COUNT', this.retention + 1)
      .exec()
    const seq = Number((res?.[0]?.[1] as string | null) ?? 0)
    if (!Number.isSafeInteger(since) || since < 0 || since > seq) return { tooOld: true, seq }
    if (since === seq) return { tooOld: false, changes: [], seq }
    if (seq - since > this.retention) return { tooOld: true, seq }
    const changes = ((res?.[1]?.[1] as StreamEntry[] | null) ?? []).map((e) =>
      entryToChange(collection, e),
    )
    if (changes[0]?.seq !== since + 1) return { tooOld: true, seq }
    return { tooOld: false, changes, seq }
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    this.check()
    const { collection, id, mutationId, clientId } = request
    const origin = requestOrigin(request)
    const mutKey = this.mutationKey(collection, origin, mutationId)
    const keys = [
      `${this.prefix}seqs`,
      this.key('items', collection),
      this.key('versions', collection),
      this.key('log', collection),
      mutKey,
      this.key('muts', collection),
    ]
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const res = await this.redis
        .multi()
        .hmget(mutKey, 'r', 'i', 's', 'v', 'e')
        .hget(keys[2]!, id)
        .hget(keys[1]!, id)
        .exec()
      const seen = res?.[0]?.[1] as (string | null)[] | null
      if (seen && seen[2] !== null && seen[2] !== undefined) return this.duplicate(seen as string[])
      const stored = (res?.[1]?.[1] as string | null) ?? '0'
      const currentJson = res?.[2]?.[1] as string | null
      const current = currentJson ? (JSON.parse(currentJson) as Item) : null
      const judged = judge(request, current)
      // A refusal is stored like a no-op that answers with the error.
      const decision = judged.decision ?? { action: 'none' as const, result: null }
      let reply: WriteReply
      let change: ChangeRecord | null = null
      let item: Item | null = null
      let result: Item | boolean | null
      const version = decision.action === 'none' ? Number(stored) : Number(stored) + 1
      if (decision.action === 'none') {
        result = decision.result
        item = current
        reply = await this.redis.livecrudWrite(
          ...keys,
          collection,
          id,
          stored,
          stored,
          judged.refusal ? 'refuse' : 'none',
          '',
          '',
          JSON.stringify(result),
          JSON.stringify(item),
          this.retention,
          this.ttl,
          this.channel,
          this.mutationRetention,
          judged.refusal ? JSON.stringify(judged.refusal) : '',
        )
      } else {
        let type: ChangeRecord['type']
        if (decision.action === 'put') {
          item = { ...decision.item, id, _version: version } as Item
          type = current ? 'CHANGED' : 'ADDED'
        } else {
          if (!current) throw new LivecrudError('NOT_FOUND', `no item ${id} in ${collection}`)
          type = 'REMOVED'
        }
        result = item ?? true
        const body: Omit<ChangeRecord, 'seq' | 'collection'> = {
          type,
          id,
          version,
          item,
          prev: current,
        }
        if (mutationId) body.mutationId = mutationId
        if (clientId) body.clientId = clientId
        body.origin = origin
        const itemJson = JSON.stringify(item)
        reply = await this.redis.livecrudWrite(
          ...keys,
          collection,
          id,
          stored,
          String(version),
          decision.action,
          itemJson,
          JSON.stringify(body),
          JSON.stringify(result),
          itemJson,
          this.retention,
          this.ttl,
          this.channel,
          this.mutationRetention,
          '',
        )
        if (reply[0] === 'ok') change = { ...body, collection, seq: Number(reply[1]) }
      }
      if (reply[0] === 'dup') return this.duplicate(reply.slice(1) as string[])
      if (reply[0] === 'retry') continue
      if (judged.refusal) throw refusalError(judged.refusal)
      const seq = Number(reply[1])
      if (change) this.feed.offer(change)
      return { item, result, change, duplicate: false, seq, version }
    }
    throw new LivecrudError(
      'CONFLICT',
      `item ${id} in ${collection} kept changing; write not applied`,
    )
  }

  private duplicate([r, i, s, v, e]: string[]): WriteResult {
    if (e) throw refusalError(JSON.parse(e) as WireError)
    return {
      result: JSON.parse(r ?? 'null') as Item | boolean | null,
      item: JSON.parse(i ?? 'null') as Item | null,
      change: null,
      duplicate: true,
      seq: Number(s),
      version: Number(v),
    }
  }

  onChange(listener: (change: ChangeRecord) => void): () => void {
    return this.feed.onChange(listener)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.feed.close()
    await Promise.all([
      this.sub.quit().catch(() => this.sub.disconnect()),
      this.ownsClient && this.redis.quit().catch(() => this.redis.disconnect()),
    ])
  }
}
