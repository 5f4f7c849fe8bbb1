import type { Id, Item, NormalizedQuery } from '../../protocol/types.js'
import { compileFilter } from '../../protocol/query.js'
import { compileViewComparator } from './compileViewComparator.js'
import { SortedRun } from './SortedRun.js'

/**
 * The big-view engine: the whole filtered, sorted result over a local set of items (all of them known),
 * so every page of it is exact. One change costs two binary searches and a shift of the items between
 * the old and the new place.
 */
export class SortedView {
  readonly run: SortedRun
  readonly filter: (item: Item) => boolean

  constructor(readonly query: Pick<NormalizedQuery, 'sort' | 'filters'>) {
    this.run = new SortedRun(compileViewComparator(query.sort))
    this.filter = compileFilter(query.filters)
  }

  /** Builds the view from scratch (the first build, or after a reset). */
  build(items: Iterable<Item>): void {
    const filter = this.filter
    const vals: Item[] = []
    for (const item of items) if (filter(item)) vals.push(item)
    vals.sort(this.run.cmp)
    this.run.vals = vals
  }

  get total(): number {
    return this.run.length
  }

  /**
   * Applies one visible change. Returns the lowest position whose value changed (a page that ends at
   * or before it, with the same total, is unchanged), or -1 when the change does not concern the view.
   */
  apply(id: Id, before: Item | undefined, after: Item | undefined): number {
    const inB = before !== undefined && this.filter(before)
    const inA = after !== undefined && this.filter(after)
    if (!inB && !inA) return -1
    const run = this.run
    if (inB) {
      const i = run.indexOf(id, before)
      if (i >= 0) {
        if (!inA) {
          run.removeAt(i)
          return i
        }
        return Math.min(i, run.move(i, after!))
      }
      // Not there although it matched before: the view missed it; treat it as new.
    }
    const j = run.lowerBound(after!)
    if (j < run.length && run.vals[j]!.id === id) run.vals[j] = after!
    else run.insertAt(j, after!)
    return j
  }

  /** Values of page `page` (1-based) of `pageSize`. */
  page(page: number, pageSize: number): Item[] {
    const start = (page - 1) * pageSize
    return this.run.vals.slice(start, start + pageSize)
  }
}
