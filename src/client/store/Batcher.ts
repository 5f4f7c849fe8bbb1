/** Something that delivers its accumulated notifications when the outermost batch ends. */
export interface Flushable {
  flush(): void
}

/** Rounds of listener-triggered changes delivered before a flush gives up (a listener loop). */
const MAX_FLUSH_ROUNDS = 100

/**
 * Nestable batching shared by the stores of one client, so `client.batch(fn)` spanning several
 * collections notifies every listener once. Changes made by listeners while a flush runs are delivered
 * in a following round of the same flush.
 */
export class Batcher {
  private depth = 0
  private flushing = false
  /**
   * Targets marked since the last flush, `dirtyCount` of them. A flush runs per event, so these are
   * arrays reused with a count (a Set allocates an iterator per loop; `length = 0` frees the storage).
   */
  private dirty: Flushable[] = []
  private dirtyCount = 0
  /** The targets a flush round is delivering; swapped with `dirty`. */
  private draining: Flushable[] = []
  private readonly onError: (error: unknown) => void

  constructor(onError: (error: unknown) => void = (error) => console.error(error)) {
    this.onError = onError
  }

  get inBatch(): boolean {
    return this.depth > 0
  }

  batch<R>(fn: () => R): R {
    this.depth++
    try {
      return fn()
    } finally {
      this.end()
    }
  }

  /** `begin()` … `end()` is `batch` without a closure, for hot paths; always pair them (try/finally). */
  begin(): void {
    this.depth++
  }

  end(): void {
    this.depth--
    if (this.depth === 0) this.flush()
  }

  /** Schedules `target.flush()` for the end of the current (or next) outermost batch. */
  mark(target: Flushable): void {
    // A client has a handful of collections: a scan is the cheapest set.
    for (let i = 0; i < this.dirtyCount; i++) if (this.dirty[i] === target) return
    this.dirty[this.dirtyCount++] = target
  }

  private flush(): void {
    if (this.flushing) return
    this.flushing = true
    try {
      for (let round = 0; this.dirtyCount > 0; round++) {
        if (round === MAX_FLUSH_ROUNDS) {
          this.dirty.fill(undefined as unknown as Flushable, 0, this.dirtyCount)
          this.dirtyCount = 0
          this.onError(
            new Error('livecrud: listeners kept changing the store; notifications dropped'),
          )
          break
        }
        const targets = this.dirty
        const count = this.dirtyCount
        this.dirty = this.draining
        this.dirtyCount = 0
        this.draining = targets
        for (let i = 0; i < count; i++) {
          const target = targets[i]!
          targets[i] = undefined as unknown as Flushable
          try {
            target.flush()
          } catch (error) {
            this.onError(error)
          }
        }
      }
    } finally {
      this.flushing = false
    }
  }
}
