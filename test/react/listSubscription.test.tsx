import { StrictMode } from 'react'
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type LivecrudClient } from 'livecrud'
import { createServer, type LivecrudServer } from 'livecrud/server'
import { LivecrudProvider, useItems, type Item } from 'livecrud/react'
import { countingClient } from './countingClient.js'

interface Row extends Item {
  n: number
}

const COLLECTION = 'listsubs'
const DELAY = 200
let server: LivecrudServer
const clients: LivecrudClient[] = []
const log: string[] = []

beforeAll(async () => {
  server = await createServer({ port: 0, host: '127.0.0.1', allowedOrigins: '*' })
  server.io.on('connection', (socket) => {
    const clientId = (socket.handshake.auth as { clientId?: string }).clientId
    socket.onAny((event: string) => log.push(`${clientId} ${event}`))
  })
  for (let n = 0; n < 5; n++)
    await server.store.write({
      collection: COLLECTION,
      id: `r${n}`,
      mutationId: `seed-${n}`,
      decide: () => ({ action: 'put', item: { n } }),
    })
})
afterEach(cleanup)
afterAll(async () => {
  for (const c of clients) c.close()
  await server.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function Top() {
  const { data, total, isFetching } = useItems<Row>(COLLECTION, { sort: '-n', pageSize: 2 })
  return (
    <p data-testid="top">{`${total}: ${data.map((r) => r.id).join(',')}${isFetching ? ' …' : ''}`}</p>
  )
}

describe('useItems and the collection subscription', () => {
  it('StrictMode: after unmount, exactly one UNSUBSCRIBE after unsubscribeDelay, no listener left', async () => {
    const client = countingClient(
      createClient({ url: server.url, unsubscribeDelay: DELAY, timeout: 5000 }),
    )
    clients.push(client)
    const mine = (event: string) => log.filter((e) => e === `${client.clientId} ${event}`)
    const app = (
      <StrictMode>
        <LivecrudProvider client={client}>
          <Top />
        </LivecrudProvider>
      </StrictMode>
    )
    const { unmount } = render(app)
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('5: r4,r3'))
    expect(mine('SUBSCRIBE')).toHaveLength(1)
    expect(client.live()).toBeGreaterThan(0)

    unmount()
    const left = Date.now()
    expect(client.live()).toBe(0)
    await sleep(DELAY / 2)
    expect(mine('UNSUBSCRIBE')).toHaveLength(0)
    // Not the list cache time (60 s) nor a second delay on top of the client's.
    await waitFor(() => expect(mine('UNSUBSCRIBE')).toHaveLength(1), { timeout: DELAY + 700 })
    expect(Date.now() - left).toBeGreaterThanOrEqual(DELAY - 10)
    await sleep(DELAY + 100)
    expect(mine('UNSUBSCRIBE')).toHaveLength(1)
    expect(mine('SUBSCRIBE')).toHaveLength(1)

    // Changed while unsubscribed: mounted again, the cached page is never shown as current.
    await server.store.write({
      collection: COLLECTION,
      id: 'r0',
      mutationId: 'lift-r0',
      decide: (current) => ({ action: 'put', item: { ...current, n: 10 } }),
    })
    const seen: string[] = []
    const observer = new MutationObserver(() => {
      const text = screen.queryByTestId('top')?.textContent
      if (text) seen.push(text)
    })
    observer.observe(document.body, { subtree: true, childList: true, characterData: true })
    render(app)
    seen.push(screen.getByTestId('top').textContent ?? '')
    await waitFor(() => expect(screen.getByTestId('top').textContent).toBe('5: r0,r4'))
    observer.disconnect()
    expect(seen).not.toContain('5: r4,r3')
    expect(mine('SUBSCRIBE')).toHaveLength(2)
    await act(() => sleep(0))
  })
})
