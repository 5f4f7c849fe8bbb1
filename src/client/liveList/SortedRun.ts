import type { Id, Item } from '../../protocol/types.js'

export type Comparator = (a: Item, b: Item) => number

/**
 * Items kept sorted by a total comparator, each as the value it was sorted by (which may lag the store
 * inside one batch). One array only: ids are read from the values, so a move shifts one array.
 */
export class SortedRun {
  vals: Item[] = []

  constructor(readonly cmp: Comparator) {}

  get length(): number {
    return this.vals.length
  }

  /** First index whose value sorts at or after `item`. */
  lowerBound(item: Item, lo = 0, hi = this.vals.length): number {
    const vals = this.vals
    const cmp = this.cmp
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cmp(vals[mid]!, item) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of `id`, searched by the value it was sorted by (`hint`); -1 when absent. */
  indexOf(id: Id, hint: Item | undefined): number {
    const vals = this.vals
    if (hint !== undefined) {
      const i = this.lowerBound(hint)
      if (i < vals.length && vals[i]!.id === id) return i
    }
    // The hint did not match the cached value (an out-of-band change): a linear scan is still right.
    for (let i = 0; i < vals.length; i++) if (vals[i]!.id === id) return i
    return -1
  }

  insertAt(i: number, item: Item): void {
    if (i === this.vals.length) this.vals.push(item)
    else this.vals.splice(i, 0, item)
  }

  removeAt(i: number): void {
    if (i === this.vals.length - 1) this.vals.pop()
    else this.vals.splice(i, 1)
  }

  /** Puts `item` (the new value of the entry at `i`) at its sorted place, shifting only what lies between. */
  move(i: number, item: Item): number {
    const vals = this.vals
    const cmp = this.cmp
    const n = vals.length
    if (i + 1 < n && cmp(item, vals[i + 1]!) > 0) {
      const j = this.lowerBound(item, i + 1, n) - 1
      for (let k = i; k < j; k++) vals[k] = vals[k + 1]!
      vals[j] = item
      return j
    }
    if (i > 0 && cmp(vals[i - 1]!, item) > 0) {
      const j = this.lowerBound(item, 0, i - 1)
      for (let k = i; k > j; k--) vals[k] = vals[k - 1]!
      vals[j] = item
      return j
    }
    vals[i] = item
    return i
  }

  ids(start = 0, end = this.vals.length): Id[] {
    const out: Id[] = []
    for (let i = Math.max(0, start); i < end && i < this.vals.length; i++)
      out.push(this.vals[i]!.id)
    return out
  }
}
