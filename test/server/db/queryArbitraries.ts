import fc from 'fast-check'
import { normalizeQuery, type NormalizedQuery } from '../../../src/protocol/index.js'

/** Arbitraries of the LIST conformance property tests (JSONB stores and table-backed collections). */

// Values chosen to sit on every edge of the shared order: type ranks, '5' vs 5, 'true' vs true,
// numbers needing exact comparison, code point order across the BMP / private use / astral planes.
export const scalar = fc.constantFrom<null | boolean | number | string>(
  null,
  true,
  false,
  0,
  1,
  -1,
  2.5,
  10,
  0.1,
  1e21,
  -1e-7,
  '',
  'a',
  'b',
  'B',
  'Z',
  'ab',
  '10',
  '1',
  'true',
  'é',
  '\ue000',
  '\uffff',
  '😀',
  '😀a',
)
export const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar }) },
)
export const fields = fc.record(
  { a: value, b: value, n: fc.oneof(fc.record({ x: scalar }, { requiredKeys: [] }), scalar) },
  { requiredKeys: [] },
)
export const ids = fc.uniqueArray(
  fc.constantFrom('a', 'b', 'c', 'A', 'Z', '0', '9', '_x', 'a.b', 'a:b', '-', 'ab', 'b-1', 'zz'),
  { minLength: 0, maxLength: 12 },
)
const rangeOperand = fc.oneof(
  fc.constantFrom(0, 1, 2.5, 10, -1),
  fc.constantFrom('', 'a', 'b', 'é', '😀', '1'),
)

/** A filter condition whose operands come from `operand`. */
export function conditionOf(
  operand: fc.Arbitrary<null | boolean | number | string>,
  range: fc.Arbitrary<number | string> = rangeOperand,
) {
  // One operator alone: combined ones mostly match nothing, which would hide narrow predicates.
  const single = fc.oneof(
    fc.record({ $eq: operand }),
    fc.record({ $ne: operand }),
    fc.record({ $in: fc.array(operand, { maxLength: 4 }) }),
    fc.record({ $nin: fc.array(operand, { maxLength: 4 }) }),
    fc.record({ $gt: range }),
    fc.record({ $gte: range }),
    fc.record({ $lt: range }),
    fc.record({ $lte: range }),
  )
  return fc.oneof(
    operand,
    single,
    fc
      .record(
        {
          $eq: operand,
          $ne: operand,
          $in: fc.array(operand, { maxLength: 4 }),
          $nin: fc.array(operand, { maxLength: 4 }),
          $gt: range,
          $gte: range,
          $lt: range,
          $lte: range,
        },
        { requiredKeys: [] },
      )
      .filter((o) => Object.keys(o).length > 0),
  )
}

/** Raw LIST queries over `paths` (filters, sort, paging). */
export function listQueryOver(
  paths: readonly string[],
  operand: fc.Arbitrary<null | boolean | number | string> = scalar,
  range?: fc.Arbitrary<number | string>,
  paging: { maxPage: number; maxPageSize: number } = { maxPage: 3, maxPageSize: 8 },
) {
  const path = fc.constantFrom(...paths)
  return fc.record({
    page: fc.integer({ min: 1, max: paging.maxPage }),
    pageSize: fc.integer({ min: 1, max: paging.maxPageSize }),
    sort: fc.array(
      fc.record({ field: path, dir: fc.constantFrom('asc' as const, 'desc' as const) }),
      { maxLength: 3 },
    ),
    filters: fc.dictionary(path, conditionOf(operand, range), { maxKeys: 2 }),
  })
}

export const listQuery = listQueryOver(['a', 'b', 'n.x', 'n', 'id', '_version'])

export function normalized(q: unknown): NormalizedQuery {
  const n = normalizeQuery(q)
  if (!n.ok) throw new Error(n.message)
  return n.value
}
