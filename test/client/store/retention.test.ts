import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { CollectionStore } from '../../../src/client/store/index.js'
import type { StoreChange } from '../../../src/client/types.js'
import type { Item } from '../../../src/protocol/index.js'
import { changed, set } from './helpers.js'

// A full GC on demand, without a flag for the whole test run.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** WeakRefs hold their target until the current job ends: collect after a macrotask. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 0))
  gc()
  return ref.deref() === undefined
}

const items = (n: number): Item[] =>
  Array.from({ length: n }, (_, i) => ({ id: `i${i}`, _version: 1, n: 0 }))

describe('CollectionStore: what a batch leaves behind', () => {
  it('a load of many items keeps no change list alive after its listeners ran', async () => {
    const store = new CollectionStore()
    let ref: WeakRef<StoreChange[]> | undefined
    const stop = store.subscribe((changes) => {
      ref = new WeakRef(changes)
    })
    store.dispatch({ type: 'server/items', items: items(1_000) })
    expect(ref).toBeDefined()
    stop()
    expect(await collected(ref!)).toBe(true)
  })

  it('a replaced item is not kept by the records the log reuses', async () => {
    const store = new CollectionStore()
    store.dispatch({ type: 'server/items', items: items(20) })
    const before = new WeakRef(store.peek('i3')!)
    store.dispatch(changed('i3', 2, [set('n', 1)]))
    expect(store.peek('i3')).toMatchObject({ _version: 2, n: 1 })
    expect(await collected(before)).toBe(true)
  })
})
