import net from 'node:net'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { Redis } from 'ioredis'

export const PG_URL = process.env.LIVECRUD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const REDIS_URL = process.env.LIVECRUD_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

function reachable(url: string): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/**
 * Whether tests needing `url` run. In CI they always run (an unreachable service fails them);
 * elsewhere they are skipped, loudly.
 */
export async function serviceAvailable(name: string, url: string): Promise<boolean> {
  if (process.env.CI === 'true' || (await reachable(url))) return true
  console.warn(
    `\n!!! ${name} at ${url} is unreachable: SKIPPING its tests (they run when CI=true) !!!\n`,
  )
  return false
}

export const pgUp = await serviceAvailable('PostgreSQL', PG_URL)
export const redisUp = await serviceAvailable('Redis', REDIS_URL)

/** A schema / key prefix unique to one test file run. */
export function uniqueName(tag: string): string {
  return `t_${tag}_${process.pid}_${randomBytes(3).toString('hex')}`
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Polls `check` every 20 ms until it holds or `ms` pass (bounded). */
export async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition')
    await new Promise((r) => setTimeout(r, 20))
  }
}
