import { StrictMode } from 'react'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createClient, ValidationError, type LivecrudClient } from 'livecrud'
import { createServer, type LivecrudServer } from 'livecrud/server'
import { createHooks, LivecrudProvider, useItems as plainUseItems } from 'livecrud/react'
import { zodCollections } from '../schema/schemas.js'

const { useItems, useItem, useMutation } = createHooks(zodCollections)

let server: LivecrudServer
let client: LivecrudClient<typeof zodCollections>
beforeAll(async () => {
  server = await createServer({ port: 0, host: '127.0.0.1', collections: zodCollections })
  client = createClient({ url: server.url, collections: zodCollections, timeout: 5000 })
})
afterEach(cleanup)
afterAll(async () => {
  client.close()
  await server.close()
})

function Board() {
  const { data, status } = useItems('tasks', { sort: 'title' })
  const { post, error } = useMutation('tasks')
  const first = useItem('tasks', 'h1')
  return (
    <div>
      <span data-testid="status">{status}</span>
      <ul>
        {data.map((t) => (
          <li key={t.id}>
            {t.title}/{t.priority}
          </li>
        ))}
      </ul>
      <span data-testid="first">{first.data?.title ?? '-'}</span>
      <button onClick={() => void post({ id: 'h1', title: '  hooked  ' })}>valid</button>
      <button onClick={() => void post({ id: 'h2', title: '' })}>invalid</button>
      <span data-testid="error">
        {error instanceof ValidationError ? error.issues.map((i) => i.path.join('.')).join() : ''}
      </span>
    </div>
  )
}

describe('hooks typed by createHooks(collections)', () => {
  it('are the same hooks: items of the schema, and the ValidationError of a refused write', async () => {
    expect(useItems).toBe(plainUseItems)
    render(
      <StrictMode>
        <LivecrudProvider client={client}>
          <Board />
        </LivecrudProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('success'))
    act(() => fireEvent.click(screen.getByText('invalid')))
    await waitFor(() => expect(screen.getByTestId('error').textContent).toBe('title'))
    expect(screen.queryAllByRole('listitem')).toHaveLength(0)
    act(() => fireEvent.click(screen.getByText('valid')))
    // The schema's output, at once (optimistic) and as stored.
    expect(screen.getByRole('listitem').textContent).toBe('hooked/normal')
    await waitFor(() => expect(screen.getByTestId('error').textContent).toBe(''))
    expect(screen.getByTestId('first').textContent).toBe('hooked')
    expect(await server.store.get('tasks', 'h1')).toMatchObject({ title: 'hooked' })
  })
})
