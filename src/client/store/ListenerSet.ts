/**
 * Listeners with isolated failures: one that throws is reported and the others still run. Each `add`
 * returns its own disposer (idempotent), so the same function may be registered twice.
 */
export class ListenerSet<V = void> {
  private listeners: Array<{ fn: (value: V) => void; active: boolean }> = []
  private readonly onError: (error: unknown) => void
  private readonly onSizeChange: ((delta: 1 | -1, size: number) => void) | undefined

  constructor(
    onError: (error: unknown) => void,
    onSizeChange?: (delta: 1 | -1, size: number) => void,
  ) {
    this.onError = onError
    this.onSizeChange = onSizeChange
  }

  get size(): number {
    return this.listeners.length
  }

  add(fn: (value: V) => void): () => void {
    if (typeof fn !== 'function') throw new TypeError('a listener must be a function')
    const record = { fn, active: true }
    // Copy on write: a flush iterating the old array is unaffected by (un)subscribes it triggers.
    this.listeners = [...this.listeners, record]
    this.onSizeChange?.(1, this.listeners.length)
    return () => {
      const i = this.listeners.indexOf(record)
      if (i < 0) return
      record.active = false
      this.listeners = this.listeners.filter((r) => r !== record)
      this.onSizeChange?.(-1, this.listeners.length)
    }
  }

  /** One value, not rest arguments: an emit runs per event and should allocate nothing. */
  emit(value: V): void {
    for (const record of this.listeners) {
      // Skipped when an earlier listener of this same emit unsubscribed it.
      if (!record.active) continue
      try {
        record.fn(value)
      } catch (error) {
        this.onError(error)
      }
    }
  }
}
