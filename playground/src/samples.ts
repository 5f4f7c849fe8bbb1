import type { Priority, Task } from './tasks.js'

const VERBS = [
  'Write',
  'Review',
  'Fix',
  'Ship',
  'Test',
  'Plan',
  'Refactor',
  'Document',
  'Benchmark',
]
const THINGS = [
  'the README',
  'the login form',
  'flaky e2e',
  'release notes',
  'the cache',
  'the API',
]
const PEOPLE = ['Alice', 'Bob', 'Carol', 'Dave']

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!

/** Random tasks, so that sort, filter and paging have something to work on. */
export function sampleTasks(count: number): Omit<Task, 'id' | '_version'>[] {
  return Array.from({ length: count }, () => ({
    title: `${pick(VERBS)} ${pick(THINGS)}`,
    done: Math.random() < 0.3,
    priority: (1 + Math.floor(Math.random() * 3)) as Priority,
    assignee: pick(PEOPLE),
    createdAt: new Date().toISOString(),
  }))
}
