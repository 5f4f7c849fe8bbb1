/**
 * Per-connection admission: a token bucket for requests per second (bursts up to one second's worth)
 * and a cap on requests awaiting their answer.
 */
export class RateLimiter {
  private tokens: number
  private last: number
  private inFlight = 0

  constructor(
    private readonly perSecond: number,
    private readonly maxInFlight: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = perSecond
    this.last = now()
  }

  /** Admits one request, or says why not. Every admitted request must call `done()` once. */
  tryStart(): 'ok' | 'rate' | 'inflight' {
    const t = this.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond)
    this.last = t
    if (this.inFlight >= this.maxInFlight) return 'inflight'
    if (this.tokens < 1) return 'rate'
    this.tokens -= 1
    this.inFlight++
    return 'ok'
  }

  done(): void {
    if (this.inFlight > 0) this.inFlight--
  }

  get pending(): number {
    return this.inFlight
  }
}
