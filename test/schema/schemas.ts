import * as v from 'valibot'
import { z } from 'zod'

/** The same task collection in zod and in valibot: a title (trimmed, 1–200), a priority with a default. */
export const zodTask = z.object({
  id: z.string().optional(),
  title: z.string().trim().min(1).max(200),
  priority: z.enum(['low', 'normal', 'high']).default('normal'),
  done: z.boolean().default(false),
  meta: z.object({ estimate: z.number().optional(), owner: z.string().optional() }).optional(),
})

export const valibotTask = v.object({
  id: v.optional(v.string()),
  title: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200)),
  priority: v.optional(v.picklist(['low', 'normal', 'high']), 'normal'),
  done: v.optional(v.boolean(), false),
  meta: v.optional(v.object({ estimate: v.optional(v.number()), owner: v.optional(v.string()) })),
})

export const zodNote = z.object({ body: z.string() })

export const zodCollections = { tasks: zodTask, notes: zodNote }
export const valibotCollections = { tasks: valibotTask }
