import { afterAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../../../src/server/stores/redis/RedisStore.js'
import { storeConformance } from './storeConformance.js'
import { REDIS_URL, deleteKeys, redisUp, uniqueName } from './services.js'

const prefix = `${uniqueName('redisconf')}:`
afterAll(() => (redisUp ? deleteKeys(prefix) : undefined))

describe.runIf(redisUp)('Redis', () => {
  storeConformance('Redis', {
    shared: true,
    open: (options) => RedisStore.connect(REDIS_URL, { prefix, pollMs: 0, ...options }),
  })
})

describe.runIf(redisUp)('Redis mutation memory', () => {
  it('keeps the newest mutationRetention results per collection and forgets older ones', async () => {
    const store = await RedisStore.connect(REDIS_URL, {
      prefix: `${prefix}bounded:`,
      pollMs: 0,
      mutationRetention: 2,
    })
    const req = (m: string) => ({
      collection: 'c',
      id: m,
      mutationId: m,
      decide: () => ({ action: 'put' as const, item: {} }),
    })
    try {
      await store.write(req('m1'))
      await store.write(req('m2'))
      await store.write(req('m3'))
      expect((await store.write(req('m3'))).duplicate).toBe(true)
      expect((await store.write(req('m2'))).duplicate).toBe(true)
      const again = await store.write({
        ...req('m1'),
        decide: () => ({ action: 'none' as const, result: null }),
      })
      expect(again.duplicate).toBe(false)
    } finally {
      await store.close()
    }
  })
})
