import { LivecrudError } from '../../../../protocol/index.js'

/**
 * How one column type maps to JSON and back, without loss. Rows are read as `to_jsonb(row)` (which
 * works whatever columns the table has now, so a column dropped under a running trigger cannot
 * break anyone's write) and each value is then brought into its livecrud JSON form:
 * - `fromRaw(r)`: an SQL jsonb expression turning `r`, the value as `to_jsonb` wrote it (SQL NULL
 *   when the key is missing), into the item's value. The trigger, GET and LIST all build items with
 *   these expressions, so every reader sees the same JSON.
 * - `encode(value)`: checks a JSON value a client wrote and returns the query parameter (PostgreSQL
 *   text input, or JSON text for json/jsonb and arrays); `fromParam($n)` turns that parameter into
 *   the column's type.
 *
 * | column type | JSON |
 * |---|---|
 * | text, varchar, char, uuid, enums | string (uuid in canonical lower case) |
 * | smallint, integer | number |
 * | bigint | number while \|v\| ≤ 2^53 − 1, else a string of digits (writes accept both) |
 * | numeric | string (`'1.50'` keeps its scale; writes accept a number too) |
 * | real, double precision | number; `'NaN'`, `'Infinity'`, `'-Infinity'` as strings |
 * | boolean | boolean |
 * | date | `'2026-12-04'` |
 * | timestamp | `'2026-12-04T18:10:38.123456'` (no zone) |
 * | timestamptz | `'2026-12-04T18:10:38.123456Z'` (always UTC, whatever the writer's TimeZone) |
 * | json, jsonb | the value (json is read as jsonb: key order and duplicate keys are not kept) |
 * | one-dimensional arrays of these | arrays of the element's JSON |
 */
export interface ColumnCodec {
  /** The catalog's name for the type family (error messages, docs). */
  readonly kind: string
  /**
   * The SQL type parameters are cast to, without its modifier (`character varying`, not
   * `character varying(20)`: an explicit cast would truncate; assigning to the column checks).
   */
  readonly sqlType: string
  fromRaw(r: string): string
  encode(value: unknown, field: string): string | null
  fromParam(placeholder: string): string
  /** Equality with a JSON scalar can also be written on the column itself (an index can serve it). */
  readonly native?: NativeKind
}

/** Column families whose equality / range filters get an extra index-usable predicate. */
export type NativeKind = 'integer' | 'bigint' | 'text' | 'uuid' | 'boolean'

/** One catalog type, as `introspect` reads it. */
export interface CatalogType {
  /** `pg_type.typname` of the column's type, or of the element type for arrays. */
  typname: string
  /** `pg_type.typtype` (`b` base, `e` enum, `d` domain…), of the element type for arrays. */
  typtype: string
  /** `format_type(atttypid, NULL)`: the column's type as SQL, without its modifier. */
  sqlType: string
  /** `format_type` of the element type, for arrays. */
  elementSqlType?: string
  isArray: boolean
}

function bad(field: string, expected: string, value: unknown): LivecrudError {
  const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value
  return new LivecrudError('BAD_REQUEST', `field ${field} must be ${expected} (got ${got})`)
}

const SAFE = '9007199254740991'
const INT_TEXT = /^-?\d{1,30}$/
const FLOAT_WORDS = new Set(['NaN', 'Infinity', '-Infinity'])

interface Scalar {
  kind: string
  /** null: `to_jsonb` already wrote the livecrud form. */
  fromRaw: ((r: string) => string) | null
  encode(value: unknown, field: string): string
  native?: NativeKind
}

function stringCodec(kind: string, native?: NativeKind): Scalar {
  return {
    kind,
    native,
    fromRaw: null,
    encode: (v, f) => {
      if (typeof v !== 'string') throw bad(f, 'a string', v)
      return v
    },
  }
}

const integer: Scalar = {
  kind: 'integer',
  native: 'integer',
  fromRaw: null,
  encode: (v, f) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(f, 'an integer', v)
    return String(v)
  },
}

const bigint: Scalar = {
  kind: 'bigint',
  native: 'bigint',
  // jsonb numbers are exact (numeric): only JavaScript would round one above 2^53.
  fromRaw: (r) =>
    `(CASE WHEN jsonb_typeof(${r}) = 'number' AND abs((${r})::numeric) > ${SAFE} THEN to_jsonb(${r} #>> '{}') ELSE ${r} END)`,
  encode: (v, f) => {
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
    if (typeof v === 'string' && INT_TEXT.test(v)) return v
    throw bad(f, 'a safe integer, or a string of digits above 2^53', v)
  },
}

const numeric: Scalar = {
  kind: 'numeric',
  // The number's text keeps its scale ('1.50'); NaN and ±Infinity are strings already.
  fromRaw: (r) =>
    `(CASE WHEN jsonb_typeof(${r}) = 'number' THEN to_jsonb(${r} #>> '{}') ELSE ${r} END)`,
  encode: (v, f) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
    if (typeof v === 'string') return v
    throw bad(f, 'a decimal string (or a number)', v)
  },
}

const float: Scalar = {
  kind: 'float',
  // to_jsonb writes NaN and ±Infinity, which JSON numbers cannot hold, as strings.
  fromRaw: null,
  encode: (v, f) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
    if (typeof v === 'string' && FLOAT_WORDS.has(v)) return v
    throw bad(f, "a number (or 'NaN', 'Infinity', '-Infinity')", v)
  },
}

const boolean: Scalar = {
  kind: 'boolean',
  native: 'boolean',
  fromRaw: null,
  encode: (v, f) => {
    if (typeof v !== 'boolean') throw bad(f, 'a boolean', v)
    return v ? 'true' : 'false'
  },
}

/** JSON output of date and timestamp is ISO 8601 whatever DateStyle says. */
function isoCodec(kind: string): Scalar {
  return stringCodec(kind)
}

const timestamptz: Scalar = {
  ...stringCodec('timestamptz'),
  // to_jsonb writes the writer's TimeZone offset; the item says the same instant in UTC with a Z.
  fromRaw: (r) =>
    `(CASE WHEN jsonb_typeof(${r}) = 'string' AND (${r} #>> '{}') NOT IN ('infinity', '-infinity') THEN to_jsonb((to_jsonb((${r} #>> '{}')::timestamptz AT TIME ZONE 'UTC') #>> '{}') || 'Z') ELSE ${r} END)`,
}

function jsonCodec(kind: string): Scalar {
  return {
    kind,
    fromRaw: null,
    encode: (v) => JSON.stringify(v),
  }
}

const BY_TYPNAME: Record<string, Scalar> = {
  text: stringCodec('text', 'text'),
  varchar: stringCodec('varchar', 'text'),
  bpchar: stringCodec('char', 'text'),
  name: stringCodec('name', 'text'),
  citext: stringCodec('citext'),
  uuid: stringCodec('uuid', 'uuid'),
  int2: integer,
  int4: integer,
  int8: bigint,
  numeric,
  float4: float,
  float8: float,
  bool: boolean,
  date: isoCodec('date'),
  timestamp: isoCodec('timestamp'),
  timestamptz,
  json: jsonCodec('json'),
  jsonb: jsonCodec('jsonb'),
}

function scalarFor(t: { typname: string; typtype: string }): Scalar | null {
  if (t.typtype === 'e') return stringCodec('enum')
  return BY_TYPNAME[t.typname] ?? null
}

/** The codec of a column, or null when its type is not supported (reported by name at start-up). */
export function codecFor(t: CatalogType): ColumnCodec | null {
  const scalar = scalarFor(t)
  if (!scalar) return null
  // `character` without a length is char(1): a cast to it would truncate. Text assigns with checks.
  const bpchar = t.typname === 'bpchar'
  const sqlType = bpchar ? (t.isArray ? 'text[]' : 'text') : t.sqlType
  if (!t.isArray) {
    return {
      kind: scalar.kind,
      sqlType,
      native: scalar.native,
      fromRaw: scalar.fromRaw ?? ((r) => r),
      encode: (v, f) => (v === null ? null : scalar.encode(v, f)),
      fromParam: (ph) => `${ph}::${sqlType}`,
    }
  }
  const elementType = bpchar ? 'text' : (t.elementSqlType ?? 'text')
  return {
    kind: `${scalar.kind}[]`,
    sqlType,
    fromRaw: scalar.fromRaw
      ? (r) =>
          `(CASE WHEN jsonb_typeof(${r}) = 'array' THEN (SELECT COALESCE(jsonb_agg(${scalar.fromRaw!('u.e')} ORDER BY u.o), '[]'::jsonb) FROM jsonb_array_elements(${r}) WITH ORDINALITY AS u(e, o)) ELSE ${r} END)`
      : (r) => r,
    encode: (v, f) => {
      if (v === null) return null
      if (!Array.isArray(v)) throw bad(f, 'an array', v)
      return JSON.stringify(v.map((e, i) => (e === null ? null : scalar.encode(e, `${f}[${i}]`))))
    },
    // jsonb_array_elements_text gives the text of each element (SQL NULL for JSON null).
    fromParam: (ph) =>
      `(CASE WHEN ${ph}::jsonb IS NULL THEN NULL ELSE ARRAY(SELECT a.x::${elementType} FROM jsonb_array_elements_text(${ph}::jsonb) WITH ORDINALITY AS a(x, o) ORDER BY a.o) END)::${sqlType}`,
  }
}

/** For error messages: what types a table's columns may have. */
export const SUPPORTED_TYPES =
  'text, varchar, char, uuid, enums, smallint, integer, bigint, numeric, real, double precision, boolean, date, timestamp, timestamptz, json, jsonb and one-dimensional arrays of these'
