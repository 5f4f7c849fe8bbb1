import type { Filters, Item, ListQuery } from 'livecrud'
import { collectionName } from './config.js'

export const TASKS = collectionName

export interface Task extends Item {
  title: string
  done: boolean
  /** 1 low, 2 normal, 3 high: a number so that sorting by it means something. */
  priority: number
  assignee: string
  createdAt: string
}

export const PRIORITY_LABELS: Record<number, string> = { 1: 'low', 2: 'normal', 3: 'high' }

export const SORTS = [
  { value: '-createdAt', label: 'newest first' },
  { value: 'createdAt', label: 'oldest first' },
  { value: 'title', label: 'title A→Z' },
  { value: '-priority,title', label: 'priority' },
  { value: 'assignee,title', label: 'assignee' },
] as const

export interface BoardView {
  sort: string
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

export function toListQuery(view: BoardView): ListQuery {
  const filters: Filters = {}
  if (view.status !== 'all') filters.done = view.status === 'done'
  if (view.assignee) filters.assignee = view.assignee
  return { page: view.page, pageSize: view.pageSize, sort: view.sort.split(','), filters }
}
