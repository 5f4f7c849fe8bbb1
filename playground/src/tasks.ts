import type { FiltersOf, ItemOf, ListQueryOf, SortKeyOf } from 'livecrud'
import { createHooks } from 'livecrud/react'
import { taskSchema, type collections } from './collections.js'
import { collectionName } from './config.js'

/**
 * The collection's name: `tasks`, or `?collection=` (each e2e test uses one of its own). Either way
 * it holds tasks, so it is typed as the `tasks` of `collections`, and validated with its schema.
 */
export const TASKS = collectionName as 'tasks'
export const boardCollections = { [TASKS]: taskSchema } as typeof collections

/** The hooks, typed by the schema: `useItem(TASKS, id).data` is a `Task`. */
export const { useItem, useItemIds, useMutation } = createHooks(boardCollections)

export type Task = ItemOf<typeof taskSchema>
export type Priority = Task['priority']

export const PRIORITY_LABELS: Record<Priority, string> = { 1: 'low', 2: 'normal', 3: 'high' }
export const PRIORITIES = [1, 2, 3] as const satisfies readonly Priority[]

export const SORTS = [
  { value: '-createdAt', label: 'newest first' },
  { value: 'createdAt', label: 'oldest first' },
  { value: 'title', label: 'title A→Z' },
  { value: '-priority,title', label: 'priority' },
  { value: 'assignee,title', label: 'assignee' },
] as const

export interface BoardView {
  sort: (typeof SORTS)[number]['value']
  status: 'all' | 'open' | 'done'
  assignee: string
  page: number
  pageSize: number
}

export const DEFAULT_VIEW: BoardView = {
  sort: '-createdAt',
  status: 'all',
  assignee: '',
  page: 1,
  pageSize: 8,
}

export function toListQuery(view: BoardView): ListQueryOf<Task> {
  const filters: FiltersOf<Task> = {}
  if (view.status !== 'all') filters.done = view.status === 'done'
  if (view.assignee) filters.assignee = view.assignee
  const sort = view.sort.split(',') as SortKeyOf<Task>[]
  return { page: view.page, pageSize: view.pageSize, sort, filters }
}
