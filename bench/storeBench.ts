/**
 * Store: the cost of one CHANGED event (a replace of one field) as the collection grows from 1k to 100k
 * items. The store replaces one entry per event and never copies the collection, so the per-event
 * median must stay flat (t(100k) / t(1k) ≤ 1.5). Baseline in the same run: a plain `Map` doing the
 * equivalent minimum (copy one item, set the field and version, `map.set`).
 */
import { produce } from 'immer'
import { CollectionStore } from '../src/client/store/index.js'
import type { StoreAction } from '../src/client/store/index.js'
import type { Item } from '../src/protocol/index.js'
import { median, quantile, sampleBatched, type BenchRow, type BenchSuite } from './lib.js'

const SIZES = [1_000, 10_000, 100_000] as const
const FLATNESS_TARGET = 1.5
/** Events are timed in groups: one event is below the timer's resolution. */
const GROUP = 50
/** Untimed events first, so JIT warm-up lands outside the samples. */
const WARMUP = 2_000

const idOf = (k: number) => `todo-${k}`

function makeItem(k: number): Item {
  return {
    id: idOf(k),
    _version: 1,
    title: `Task number ${k}`,
    done: false,
    n: 0,
    tags: ['a', 'b'],
    owner: { id: `u-${k % 97}`, name: 'Ada' },
  }
}

/** Deterministic pseudo-random item picks (an LCG), the same for store and baseline. */
function picks(size: number, count: number): number[] {
  let x = 12345
  const out = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x % size
  }
  return out
}

/** The CHANGED actions, built before timing: each bumps its item's version by one. */
function changedEvents(size: number, count: number): StoreAction[] {
  const versions = new Uint32Array(size).fill(1)
  let seq = 0
  return picks(size, count).map((k, i) => {
    const version = ++versions[k]!
    seq++
    return {
      type: 'server/changed',
      id: idOf(k),
      ops: [{ op: 'replace', path: '/n', value: i }],
      meta: { seq, prevSeq: seq - 1, version },
    }
  })
}

function measureStore(size: number, events: number): number[] {
  const store = new CollectionStore()
  const items: Item[] = []
  for (let k = 0; k < size; k++) items.push(makeItem(k))
  store.dispatch({ type: 'server/items', items })
  // A live collection has observers: one collection listener and a few item listeners.
  let heard = 0
  store.subscribe((changes) => (heard += changes.length))
  for (let k = 0; k < 10; k++) store.subscribeItem(idOf(k), () => heard++)
  const actions = changedEvents(size, WARMUP + events)
  for (let i = 0; i < WARMUP; i++) store.dispatch(actions[i]!)
  const samples = sampleBatched((i) => store.dispatch(actions[WARMUP + i]!), events / GROUP, GROUP)
  if (heard < WARMUP + events)
    throw new Error(`store bench: ${heard} notifications for ${events} events`)
  if (store.size !== size) throw new Error('store bench: size changed')
  return samples
}

function measureMap(size: number, events: number): number[] {
  const map = new Map<string, Item>()
  for (let k = 0; k < size; k++) map.set(idOf(k), makeItem(k))
  const actions = changedEvents(size, WARMUP + events) as Extract<
    StoreAction,
    { type: 'server/changed' }
  >[]
  const apply = (a: (typeof actions)[number]) => {
    const prev = map.get(a.id)!
    const op = a.ops[0] as { value: unknown }
    map.set(a.id, { ...prev, n: op.value, _version: a.meta.version })
  }
  for (let i = 0; i < WARMUP; i++) apply(actions[i]!)
  return sampleBatched((i) => apply(actions[WARMUP + i]!), events / GROUP, GROUP)
}

/** What the store avoids: one immer `produce` over the whole record per event (a few samples only). */
function measureWholeCopy(size: number, events: number): number[] {
  let state: Record<string, Item> = {}
  for (let k = 0; k < size; k++) state[idOf(k)] = makeItem(k)
  state = produce(state, () => {})
  const out: number[] = []
  for (let i = 0; i < events; i++) {
    const t0 = performance.now()
    state = produce(state, (draft) => {
      draft[idOf(i % size)]!.n = i
    })
    out.push(performance.now() - t0)
  }
  return out
}

const US = 1000
const ROUNDS = 3

/** A full GC between measurements when the runner exposes it (bench/index.ts runs with --expose-gc). */
function collect(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

export const storeBench: BenchSuite = {
  name: 'store',
  async run({ quick }) {
    const events = quick ? 2_000 : 10_000
    const rows: BenchRow[] = []
    const perSize = new Map<number, number>()
    const mapPerSize = new Map<number, number>()
    const samples = new Map<number, { store: number[]; map: number[] }>()
    for (const size of SIZES) samples.set(size, { store: [], map: [] })
    // Rounds over all sizes, store and baseline alternating: load from other processes then shifts
    // every contender alike instead of one size.
    for (let round = 0; round < ROUNDS; round++) {
      for (const size of SIZES) {
        const s = samples.get(size)!
        collect()
        s.store.push(...measureStore(size, events).map((ms) => ms * US))
        collect()
        s.map.push(...measureMap(size, events).map((ms) => ms * US))
      }
    }
    for (const size of SIZES) {
      const { store, map } = samples.get(size)!
      const value = median(store)
      perSize.set(size, value)
      mapPerSize.set(size, median(map))
      const label = `${size / 1000}k`
      rows.push({
        name: `store: CHANGED event (replace one field), ${label} items`,
        value,
        unit: 'µs',
        baseline: { name: `plain Map: copy one item + set, ${label}`, value: median(map) },
        extra: {
          p95: quantile(store, 0.95),
          'baseline p95': quantile(map, 0.95),
          events: events * ROUNDS,
          'timed in groups of': GROUP,
        },
      })
    }
    const flat = perSize.get(100_000)! / perSize.get(1_000)!
    // Random access over 100k items misses caches and TLBs even for a bare Map; the store's own work
    // (its cost above the Map's) is what copying the collection would make grow.
    const mapFlat = mapPerSize.get(100_000)! / mapPerSize.get(1_000)!
    const ownFlat =
      (perSize.get(100_000)! - mapPerSize.get(100_000)!) /
      (perSize.get(1_000)! - mapPerSize.get(1_000)!)
    const last = rows[rows.length - 1]!
    last.target = `flat: t(100k) / t(1k) ≤ ${FLATNESS_TARGET}`
    last.met = flat <= FLATNESS_TARGET
    last.extra = {
      ...last.extra,
      't(100k)/t(1k)': Number(flat.toFixed(2)),
      'Map t(100k)/t(1k)': Number(mapFlat.toFixed(2)),
      'store cost above Map, 100k/1k': Number(ownFlat.toFixed(2)),
    }
    const whole = measureWholeCopy(100_000, quick ? 3 : 5)
    rows.push({
      name: 'whole-collection immer produce per event, 100k items (what the store avoids)',
      value: median(whole),
      unit: 'ms',
      extra: { samples: whole.length },
    })
    return rows
  },
}
