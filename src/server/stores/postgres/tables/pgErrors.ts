import { LivecrudError } from '../../../../protocol/index.js'

interface PgError {
  code?: string
  message?: string
  column?: string
  constraint?: string
  detail?: string
  table?: string
}

/**
 * What a refused write on a mapped table answers: the table's own constraints are the client's
 * mistake (BAD_REQUEST naming the column or constraint; CONFLICT for a duplicate key), never
 * INTERNAL. Returns null for errors that are not about the written values (retry or rethrow).
 */
export function tableWriteError(
  err: unknown,
  fieldOf: (column: string) => string,
): LivecrudError | null {
  const e = err as PgError
  if (typeof e?.code !== 'string') return null
  const named = e.constraint ? ` (constraint ${e.constraint})` : ''
  switch (e.code) {
    case '23502': {
      const column = e.column ?? '?'
      return new LivecrudError(
        'BAD_REQUEST',
        `field ${fieldOf(column)} is required (column ${column} is NOT NULL)`,
        {
          column,
        },
      )
    }
    case '23514':
      return new LivecrudError(
        'BAD_REQUEST',
        `the item violates check constraint ${e.constraint ?? '?'}`,
        {
          constraint: e.constraint,
        },
      )
    case '23503':
      return new LivecrudError(
        'BAD_REQUEST',
        `the item violates foreign key ${e.constraint ?? '?'}${e.detail ? `: ${e.detail}` : ''}`,
        { constraint: e.constraint },
      )
    case '23505':
      return new LivecrudError(
        'CONFLICT',
        `the item violates unique constraint ${e.constraint ?? '?'}${e.detail ? `: ${e.detail}` : ''}`,
        { constraint: e.constraint },
      )
    case '23P01':
      return new LivecrudError(
        'CONFLICT',
        `the item violates exclusion constraint ${e.constraint ?? '?'}`,
        {
          constraint: e.constraint,
        },
      )
    case '428C9':
      return new LivecrudError(
        'BAD_REQUEST',
        `a generated column cannot be written: ${e.message ?? ''}`,
      )
  }
  // Data exceptions: a value the column cannot hold (out of range, bad uuid, bad date, too long…).
  if (e.code.startsWith('22'))
    return new LivecrudError(
      'BAD_REQUEST',
      `the item cannot be stored: ${e.message ?? e.code}${named}`,
    )
  return null
}
