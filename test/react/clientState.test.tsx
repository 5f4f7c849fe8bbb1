import { act, cleanup, renderHook } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { useConnectionState, usePendingWrites } from 'livecrud/react'
import { FakeClient } from './fakeClient.js'

afterEach(cleanup)

describe('useConnectionState', () => {
  it('follows the client through each transition', () => {
    const client = new FakeClient()
    const { result } = renderHook(() => useConnectionState({ client }))
    expect(result.current).toBe('connected')
    act(() => client.setConnectionState('disconnected'))
    expect(result.current).toBe('disconnected')
    act(() => client.setConnectionState('connecting'))
    expect(result.current).toBe('connecting')
  })
})

describe('usePendingWrites', () => {
  it('lists unconfirmed writes, per collection, and re-renders only when they change', async () => {
    const client = new FakeClient()
    client.autoAck = false
    client.fake('todos').seed([{ id: 't1', title: 'a' }])
    let renders = 0
    const { result } = renderHook(() => {
      renders++
      return [usePendingWrites({ client }), usePendingWrites({ client, collection: 'notes' })]
    })
    renders = 0
    act(() => void client.collection('todos').patchItem({ id: 't1', title: 'b' }))
    expect(result.current[0]!.map((w) => [w.collection, w.kind, w.id])).toEqual([
      ['todos', 'PATCH', 't1'],
    ])
    expect(result.current[1]).toEqual([])
    expect(renders).toBe(1)

    const notesBefore = result.current[1]
    act(() => void client.collection('notes').postItem({ id: 'n1', text: 'hi' }))
    expect(result.current[0]).toHaveLength(2)
    expect(result.current[1]!.map((w) => w.id)).toEqual(['n1'])
    expect(result.current[1]).not.toBe(notesBefore)

    await act(async () => {
      for (const ack of client.acks) ack.resolve()
    })
    expect(result.current[0]).toEqual([])
  })
})
