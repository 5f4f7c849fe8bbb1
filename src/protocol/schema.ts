import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { FilterOperators, Id, ListQuery, Scalar, SortDirection } from './types.js'

/**
 * One Standard Schema v1 per collection (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2, …), shared by the
 * client and the server: `const collections = { tasks: taskSchema }`. livecrud only calls
 * `schema['~standard'].validate`; it never imports a validator library.
 *
 * A schema describes an item as clients see it: it is given the item's fields and its `id`, never
 * `_version` (declare `id` in a strict object schema, or let the schema strip or pass it). Server
 * fields (`serverFields`, what `redact` hides) are kept as stored, outside the schema.
 */
export type Collections = Readonly<Record<string, StandardSchemaV1>>

/** The collections map of a client or server created without `collections`: nothing is typed. */
export type NoCollections = Record<never, never>

/** One reason a value failed its schema; `path` is the field path inside the item (`[]` = the item). */
export interface ValidationIssue {
  path: (string | number)[]
  message: string
}

export type Checked =
  { ok: true; value: Record<string, unknown> } | { ok: false; issues: ValidationIssue[] }

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type Reserved = 'id' | '_version'

/** The items of a collection with schema `S`: the schema's output plus `id` and `_version`. */
export type ItemOf<S extends StandardSchemaV1> = Simplify<
  Omit<StandardSchemaV1.InferOutput<S>, Reserved> & { id: Id; _version: number }
>

/** What writes of a collection with schema `S` send: the schema's input (defaults optional), no `id`. */
export type InputOf<S extends StandardSchemaV1> = Simplify<
  Omit<StandardSchemaV1.InferInput<S>, Reserved>
>

type Depth = [never, 0, 1, 2, 3]
type IsPlainObject<V> = V extends readonly unknown[] ? false : V extends object ? true : false

/** Field paths of `T` usable in sort and filters: its fields and dotted paths into nested objects. */
export type FieldPath<T, D extends number = 4> = [D] extends [never]
  ? never
  : {
      [K in keyof T & string]: IsPlainObject<NonNullable<T[K]>> extends true
        ? K | `${K}.${FieldPath<NonNullable<T[K]>, Depth[D]>}`
        : K
    }[keyof T & string]

/** The type of the value at a field path of `T`. */
export type FieldValue<T, P extends string> = P extends `${infer K}.${infer Rest}`
  ? K extends keyof T
    ? FieldValue<NonNullable<T[K]>, Rest>
    : never
  : P extends keyof T
    ? T[P]
    : never

/** A sort key of `T`: a field path, `-path` for descending, or `{ field, dir }`. */
export type SortKeyOf<T> = FieldPath<T> | `-${FieldPath<T>}`
export type SortSpecOf<T> =
  SortKeyOf<T> | ReadonlyArray<SortKeyOf<T> | { field: FieldPath<T>; dir: SortDirection }>

type Comparable<V> = Extract<V, number | string>
/** A condition on a field of type `V`: its value (or null for a missing field), or operators on it. */
export type FilterConditionOf<V> = [Extract<V, Scalar>] extends [never]
  ? Scalar | FilterOperators
  : | Extract<V, Scalar>
    | null
    | {
        $eq?: Extract<V, Scalar> | null
        $ne?: Extract<V, Scalar> | null
        $in?: (Extract<V, Scalar> | null)[]
        $nin?: (Extract<V, Scalar> | null)[]
        $gt?: Comparable<V>
        $gte?: Comparable<V>
        $lt?: Comparable<V>
        $lte?: Comparable<V>
      }

export type FiltersOf<T> = { [P in FieldPath<T>]?: FilterConditionOf<FieldValue<T, P>> }

/** A list query of items `T`: sort and filters name only fields of `T`, with values of their types. */
export type ListQueryOf<T> = Omit<ListQuery, 'sort' | 'filters'> & {
  sort?: SortSpecOf<T>
  filters?: FiltersOf<T>
}

/** `value`'s fields with `id` (a schema may strip or map it: the item keeps its own), no `_version`. */
export function fieldsOf(value: unknown, id: Id): Record<string, unknown> {
  const data: Record<string, unknown> = { ...(value as object), id }
  delete data._version
  return data
}

/** A Standard Schema's issues in livecrud's shape (the same on the client and on the wire). */
export function toIssues(issues: readonly StandardSchemaV1.Issue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    // Item paths are string and number keys (a symbol key cannot come from JSON).
    path: (issue.path?.map((s) => (typeof s === 'object' ? s.key : s)) ?? []) as (
      string | number
    )[],
    message: issue.message,
  }))
}

/**
 * Validates `item` (its fields and `id`; any `_version` is left out) against `schema`: the schema's
 * output with the item's `id`, or the issues. Synchronous when the schema is, else a promise.
 * (The server, which must store JSON, also refuses an output that is not a plain JSON object.)
 */
export function checkItem(
  schema: StandardSchemaV1,
  item: Record<string, unknown>,
  id: Id,
): Checked | Promise<Checked> {
  const settle = (result: StandardSchemaV1.Result<unknown>): Checked =>
    result.issues
      ? { ok: false, issues: toIssues(result.issues) }
      : { ok: true, value: fieldsOf(result.value, id) }
  const result = schema['~standard'].validate(fieldsOf(item, id))
  if (!(result instanceof Promise)) return settle(result)
  const later = result.then(settle)
  // A caller may drop it (the client does not wait for asynchronous schemas): never unhandled.
  later.catch(() => {})
  return later
}

/** `title: Too small; priority: Invalid option`: the issues in one line, for messages and logs. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path.length ? i.path.join('.') + ': ' : '') + i.message).join('; ')
}
