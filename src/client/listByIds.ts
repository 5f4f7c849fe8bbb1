import type { Id, Item, ListResult } from '../protocol/types.js'
import { ServerError } from './errors.js'
import { isRateLimited, pauseAfterRefusal, sleep } from './pacing.js'
import type { Transport } from './Transport.js'

/** Ids per LIST: the protocol's largest `$in`. */
export const IDS_PER_LIST = 100

/** Times a chunk asks again after RATE_LIMITED before it gives up (about 6 s of pauses). */
const MAX_RETRIES = 10

/**
 * Reads `ids` of `collection` in LISTs of `IDS_PER_LIST`, in order, handing each answer to `each`
 * (the items found and the seq they are current at). A resync can know tens of thousands of ids:
 * asked back to back, their LISTs outrun the server's requests per second, so a RATE_LIMITED answer
 * waits and asks again instead of failing — and restarting — the whole resync.
 */
export async function listByIds(
  transport: Transport,
  collection: string,
  ids: readonly Id[],
  each: (chunk: Id[], items: Item[], seq: number) => void,
): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_LIST) {
    const chunk = ids.slice(i, i + IDS_PER_LIST)
    const args = [collection, { filters: { id: { $in: chunk } }, pageSize: IDS_PER_LIST }]
    for (let attempt = 0; ; attempt++) {
      try {
        const { result } = await transport.request<ListResult>('LIST', args)
        if (!result || !Array.isArray(result.items))
          throw new ServerError('INTERNAL', 'the server answered LIST with a malformed result')
        // Anything with an id counts as found; the store itself rejects (and reports) an invalid item.
        const items = result.items.filter(
          (it: unknown): it is Item => typeof (it as Item | null)?.id === 'string',
        )
        each(chunk, items, result.seq)
        break
      } catch (error) {
        if (!isRateLimited(error) || attempt >= MAX_RETRIES) throw error
        await sleep(pauseAfterRefusal(attempt + 1))
      }
    }
  }
}
