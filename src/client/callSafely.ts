/**
 * Calls a listener so that its throw cannot break the caller's loop or state update: the error is
 * rethrown on a microtask, where it reaches the host's unhandled-error reporting instead.
 */
export function callSafely<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  try {
    fn(...args)
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}
