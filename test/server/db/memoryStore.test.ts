import { MemoryStore } from '../../../src/server/stores/MemoryStore.js'
import { storeConformance } from './storeConformance.js'

storeConformance('memory', {
  shared: false,
  open: async (options) => new MemoryStore(options),
})
