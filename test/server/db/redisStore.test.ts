import { afterAll, describe } from 'vitest'
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
