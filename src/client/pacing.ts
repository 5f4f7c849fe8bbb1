import { LivecrudError } from '../protocol/errors.js'

/**
 * After RATE_LIMITED the server did nothing and asks to be asked later. Its bucket refills within a
 * second, so the pause starts at 50 ms and doubles per refusal in a row, up to 1 s.
 */
export function pauseAfterRefusal(refusalsInARow: number): number {
  return Math.min(1000, 50 * 2 ** Math.max(0, refusalsInARow - 1))
}

export function isRateLimited(error: unknown): boolean {
  return error instanceof LivecrudError && error.code === 'RATE_LIMITED'
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
