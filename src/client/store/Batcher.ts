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
  #depth = 0
  #flushing = false
  #dirty = new Set<Flushable>()
  readonly #onError: (error: unknown) => void

  constructor(onError: (error: unknown) => void = (error) => console.error(error)) {
    this.#onError = onError
  }

  get inBatch(): boolean {
    return this.#depth > 0
  }

  batch<R>(fn: () => R): R {
    this.#depth++
    try {
      return fn()
    } finally {
      this.end()
    }
  }

  /** `begin()` … `end()` is `batch` without a closure, for hot paths; always pair them (try/finally). */
  begin(): void {
    this.#depth++
  }

  end(): void {
    this.#depth--
    if (this.#depth === 0) this.#flush()
  }

  /** Schedules `target.flush()` for the end of the current (or next) outermost batch. */
  mark(target: Flushable): void {
    this.#dirty.add(target)
  }

  #flush(): void {
    if (this.#flushing) return
    this.#flushing = true
    try {
      for (let round = 0; this.#dirty.size > 0; round++) {
        if (round === MAX_FLUSH_ROUNDS) {
          this.#dirty.clear()
          this.#onError(
            new Error('livecrud: listeners kept changing the store; notifications dropped'),
          )
          break
        }
        const targets = this.#dirty
        this.#dirty = new Set()
        for (const target of targets) {
          try {
            target.flush()
          } catch (error) {
            this.#onError(error)
          }
        }
      }
    } finally {
      this.#flushing = false
    }
  }
}
