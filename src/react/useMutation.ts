import { useMemo, useReducer } from 'react'
import type {
  CollectionHandle,
  PatchInput,
  PostInput,
  PutInput,
  Untyped,
  WriteOptions,
} from '../client/types.js'
import type { LivecrudError } from '../protocol/errors.js'
import type { Operation } from '../protocol/jsonPatch.js'
import type { Id, Item } from '../protocol/types.js'
import { toLivecrudError } from './toLivecrudError.js'
import { useLivecrudClient, type HookOptions } from './useLivecrudClient.js'

/** `In`: what writes send (a collection schema's input), or `Untyped` without a schema. */
export interface UseMutationResult<T extends Item = Item, In = Untyped> {
  /** Create (optimistic by default; the id is generated unless given). */
  post(item: PostInput<T, In>, options?: WriteOptions): Promise<T>
  /** Replace. */
  put(item: PutInput<T, In>, options?: WriteOptions): Promise<T>
  /** Merge a partial object, or apply JSON Patch operations. */
  patch(patch: PatchInput<T, In> | Operation[], options?: WriteOptions): Promise<T>
  remove(id: Id, options?: WriteOptions): Promise<boolean>
  /** True while a write started through this hook awaits the server. */
  isPending: boolean
  /** The last failed write of this hook; cleared by its next successful write or `reset()`. */
  error: LivecrudError | null
  reset(): void
}

interface State {
  inFlight: number
  error: LivecrudError | null
}
type Action =
  | { type: 'start' }
  | { type: 'success' }
  | { type: 'failure'; error: LivecrudError }
  | { type: 'reset' }

/**
 * Bound write functions for one collection with this component's pending and error state. The functions
 * keep their identity; each returns the client's promise, which may be left unawaited: its rejection is
 * handled here and shows up as `error`.
 */
export function useMutation<T extends Item = Item>(
  collection: string,
  options: HookOptions = {},
): UseMutationResult<T> {
  const client = useLivecrudClient(options.client)
  const [state, dispatch] = useReducer(reduce, initial)
  const writers = useMemo(
    () => bindWriters(client.collection<T>(collection), dispatch),
    [client, collection],
  )
  return useMemo(
    () => ({ ...writers, isPending: state.inFlight > 0, error: state.error }),
    [writers, state],
  )
}

const initial: State = { inFlight: 0, error: null }

function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'start':
      return { ...state, inFlight: state.inFlight + 1 }
    case 'success':
      return { inFlight: state.inFlight - 1, error: null }
    case 'failure':
      return { inFlight: state.inFlight - 1, error: action.error }
    case 'reset':
      return state.error === null ? state : { ...state, error: null }
  }
}

function bindWriters<T extends Item>(
  handle: CollectionHandle<T>,
  dispatch: (action: Action) => void,
): Omit<UseMutationResult<T>, 'isPending' | 'error'> {
  function track<R>(start: () => Promise<R>): Promise<R> {
    dispatch({ type: 'start' })
    let promise: Promise<R>
    try {
      promise = start()
    } catch (error) {
      // A client that throws synchronously on bad input still yields a rejected promise, never a crash.
      promise = Promise.reject(error)
    }
    promise.then(
      () => dispatch({ type: 'success' }),
      (error: unknown) => dispatch({ type: 'failure', error: toLivecrudError(error) }),
    )
    return promise
  }
  return {
    post: (item, options) => track(() => handle.postItem(item, options)),
    put: (item, options) => track(() => handle.putItem(item, options)),
    patch: (patch, options) => track(() => handle.patchItem(patch, options)),
    remove: (id, options) => track(() => handle.deleteItem(id, options)),
    reset: () => dispatch({ type: 'reset' }),
  }
}
