import { z } from 'zod'

/**
 * The board's one collection, as a Standard Schema (zod here; valibot or arktype work the same). The
 * same object types the client and the hooks, validates writes in the browser before they are
 * applied, and — `npm start` passes it with `--collections` — on the server, which stores its output.
 */
export const taskSchema = z.object({
  title: z
    .string()
    .trim()
    .min(1, 'a task needs a title')
    .max(200, 'a title has at most 200 characters'),
  done: z.boolean().default(false),
  /** 1 low, 2 normal, 3 high: a number so that sorting by it means something. */
  priority: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
  assignee: z.string().max(24).default(''),
  createdAt: z.iso.datetime(),
})

export const collections = { tasks: taskSchema }
