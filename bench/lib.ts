/**
 * The benchmark harness: every figure is a median over samples, reported next to a baseline measured in
 * the same run, with their ratio. Suites register rows; bench/index.ts prints one table.
 */
export interface BenchRow {
  /** What is measured, e.g. 'store: CHANGED event, 100k items'. */
  name: string
  /** Median of the measured thing, in `unit`. */
  value: number
  unit: 'ms' | 'µs' | 'B' | 'KB' | 'MB' | 'renders' | 'ops/s'
  /** Name and median of the baseline measured in the same run (omit when there is none). */
  baseline?: { name: string; value: number }
  /** Extra figures to print (p95, p99, other peers...). */
  extra?: Record<string, number | string>
  /** The target from targets.md, as text, and whether it is met. */
  target?: string
  met?: boolean
}

export interface BenchSuite {
  name: string
  run(options: { quick: boolean }): Promise<BenchRow[]>
}

export function median(samples: number[]): number {
  return quantile(samples, 0.5)
}

export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN
  const s = [...samples].sort((a, b) => a - b)
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}

/** Times `fn` `iterations` times after `warmup` runs; returns per-call samples in ms. */
export function sampleSync(
  fn: (i: number) => void,
  iterations: number,
  warmup = Math.min(100, iterations),
): number[] {
  for (let i = 0; i < warmup; i++) fn(i)
  const out = new Array<number>(iterations)
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    fn(i)
    out[i] = performance.now() - t0
  }
  return out
}

export async function sampleAsync(
  fn: (i: number) => Promise<void>,
  iterations: number,
  warmup = Math.min(50, iterations),
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn(i)
  const out = new Array<number>(iterations)
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now()
    await fn(i)
    out[i] = performance.now() - t0
  }
  return out
}

/**
 * Runs `fn` in batches of `batch` calls and returns per-call times (ms): timer resolution is too coarse for
 * sub-microsecond operations measured one at a time.
 */
export function sampleBatched(fn: (i: number) => void, batches: number, batch: number): number[] {
  const out: number[] = []
  let k = 0
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now()
    for (let i = 0; i < batch; i++) fn(k++)
    out.push((performance.now() - t0) / batch)
  }
  return out
}

export function ratio(row: BenchRow): number | undefined {
  return row.baseline ? row.value / row.baseline.value : undefined
}

/** Removes every Redis key under `prefix` (a benchmark's items, logs and remembered mutations). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const r = new Redis(url)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await r.del(...keys)
    } while (cursor !== '0')
  } finally {
    r.disconnect()
  }
}
