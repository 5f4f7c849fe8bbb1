import type { Id, Item } from '../../protocol/types.js'
import { SortedRun, type Comparator } from './SortedRun.js'

/**
 * The list engine of one server page. The client knows `total` (exact: every change says whether the item
 * matched before and after) and a *run*: a contiguous, exactly ordered segment of the full result set whose
 * absolute position `runStart` is known. Changes move, insert and remove inside the run and shift
 * `runStart` when they land before it. The page is exact when the run covers it; otherwise the part of the
 * run inside the page is still provably right (right items, right order) and the page must be refetched.
 *
 * `runStart === -1`: the run's position is unknown (before the first LIST, or after an inconsistency);
 * only `total` is tracked until the next LIST.
 */
export class PageWindow {
  readonly run: SortedRun
  runStart = -1
  total = 0
  /** Absolute index of the page's first item. */
  readonly start: number
  /**
   * A change contradicted what the window holds (it missed one): the run's position and the total are
   * unknown, and the page is not exact even when it seems past the end, until the next LIST.
   */
  private broken = false

  constructor(
    readonly page: number,
    readonly pageSize: number,
    cmp: Comparator,
    readonly filter: (item: Item) => boolean,
  ) {
    this.run = new SortedRun(cmp)
    this.start = (page - 1) * pageSize
  }

  /** Installs a LIST answer: `items` sit at absolute index `offset` of a set of `total` items. */
  reset(items: Item[], offset: number, total: number): void {
    this.broken = false
    this.run.vals = items.slice()
    this.total = total
    // An empty run can only be placed at the end of the set (a page past the end).
    this.runStart = items.length > 0 ? offset : offset >= total ? total : -1
    this.clip()
  }

  private inconsistent(): void {
    this.runStart = -1
    this.broken = true
  }

  get anchored(): boolean {
    return this.runStart >= 0
  }

  /** True when the run reaches the end of the result set. */
  private atEnd(total: number): boolean {
    return this.runStart + this.run.length === total
  }

  /**
   * Applies one visible change. Returns false when it cannot concern this list (neither value matches).
   * `before` must be the value the list saw last (the store's previous visible value).
   */
  apply(id: Id, before: Item | undefined, after: Item | undefined): boolean {
    const inB = before !== undefined && this.filter(before)
    const inA = after !== undefined && this.filter(after)
    if (!inB && !inA) return false
    // A move is a removal then an insertion: an item leaving the run's span for an unknown place beyond
    // it is dropped from the run instead of being shown at a guessed position.
    if (inB) this.remove(id, before!)
    if (inA) {
      // An item that enters while the run already holds its id: the window and its source disagree
      // (a change it never heard). The position is then unknown, never shown twice.
      if (!inB && this.anchored && this.run.indexOf(id, after) >= 0) this.inconsistent()
      this.insert(after!)
    }
    this.clip()
    return true
  }

  /**
   * Whether the window knows where `item` would sit: inside the run's span (past its first item or
   * at the start of the set, before its last or at the end of the set), where any member of the set is
   * in the run. Elsewhere an item may already be counted in `total` without being held. For an item
   * outside the set: whether the window knows it is not counted (the run is the whole set).
   */
  knowsPlace(item: Item): boolean {
    const run = this.run
    if (!this.filter(item)) return this.runStart === 0 && this.atEnd(this.total)
    if (!this.anchored) return false
    const j = run.lowerBound(item)
    return (
      (j > 0 || this.runStart === 0) &&
      (j < run.length || this.runStart + run.length === this.total)
    )
  }

  private remove(id: Id, before: Item): void {
    const totalBefore = this.total
    this.total--
    if (!this.anchored) return
    const run = this.run
    if (run.length === 0) {
      // An empty run is only ever anchored at the end (or at 0 of an empty set).
      if (this.runStart === totalBefore && this.runStart > 0) this.runStart--
      else this.inconsistent()
      return
    }
    const i = run.indexOf(id, before)
    if (i >= 0) {
      run.removeAt(i)
      if (run.length === 0 && !(this.runStart === this.total)) this.runStart = -1
      return
    }
    if (run.cmp(before, run.vals[0]!) < 0) {
      if (this.runStart > 0) this.runStart--
      else this.inconsistent() // it was said to be before the first item: inconsistent
    } else if (
      this.runStart + run.length === totalBefore ||
      run.cmp(before, run.vals[run.length - 1]!) < 0
    ) {
      // Inside the run's span (or after the last item of the whole set), yet not in it: inconsistent.
      this.inconsistent()
    }
  }

  private insert(after: Item): void {
    const totalBefore = this.total
    this.total++
    if (!this.anchored) return
    const run = this.run
    if (run.length === 0) {
      if (totalBefore === 0) run.insertAt(0, after)
      else if (this.runStart === totalBefore) this.runStart++
      else this.inconsistent()
      return
    }
    const j = run.lowerBound(after)
    if (j === 0 && this.runStart > 0) this.runStart++
    else if (j === run.length && this.runStart + run.length < totalBefore) return
    else run.insertAt(j, after)
  }

  /** Keeps the run within one page on each side of this page: enough to absorb shifts, bounded memory. */
  private clip(): void {
    if (!this.anchored) return
    const run = this.run
    const lo = Math.max(0, this.start - this.pageSize)
    const hi = this.start + 2 * this.pageSize
    if (this.runStart < lo) {
      const drop = Math.min(lo - this.runStart, run.length)
      run.vals.splice(0, drop)
      this.runStart += drop
      if (run.length === 0 && this.runStart !== this.total) this.runStart = -1
    }
    if (this.anchored && this.runStart + run.length > hi) {
      run.vals.length = Math.max(0, hi - this.runStart)
      if (run.length === 0 && this.runStart !== this.total) this.runStart = -1
    }
  }

  /** Number of items the page holds on the server. */
  get pageLength(): number {
    return Math.max(0, Math.min(this.pageSize, this.total - this.start))
  }

  /** True when every item of the page and its order are known. */
  isExact(): boolean {
    if (this.broken || this.total < 0) return false
    const len = this.pageLength
    if (len === 0) return true
    return (
      this.anchored &&
      this.runStart <= this.start &&
      this.runStart + this.run.length >= this.start + len
    )
  }

  /** The values to show: the known part of the page (all of it when exact), in order. */
  pageValues(): Item[] {
    const len = this.pageLength
    if (!this.anchored) return []
    const from = Math.max(0, this.start - this.runStart)
    const to = Math.min(this.run.length, this.start + len - this.runStart)
    return from < to ? this.run.vals.slice(from, to) : []
  }
}
