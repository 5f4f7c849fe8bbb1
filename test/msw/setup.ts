import { afterAll, afterEach } from 'vitest'
import { setupServer } from 'msw/node'

/** Listening before any test file imports socket.io-client (engine.io-client reads WebSocket early). */
export const server = setupServer()
server.listen({ onUnhandledRequest: 'error' })
afterEach(() => server.resetHandlers())
afterAll(() => server.close())
