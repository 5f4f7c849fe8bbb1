import type { StandardSchemaV1 } from '@standard-schema/spec'

/** `schema` made asynchronous: its `validate` always answers with a promise (after `before`). */
export function asAsync(
  schema: StandardSchemaV1,
  before: (value: unknown) => Promise<void> | void = () => {},
): StandardSchemaV1 & { calls: unknown[] } {
  const calls: unknown[] = []
  return {
    calls,
    '~standard': {
      version: 1,
      vendor: 'livecrud-test',
      validate: async (value) => {
        calls.push(value)
        await before(value)
        return schema['~standard'].validate(value)
      },
    },
  }
}
