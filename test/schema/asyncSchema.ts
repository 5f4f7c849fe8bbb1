import type { StandardSchemaV1 } from '@standard-schema/spec'

/** `schema` made asynchronous (same types): its `validate` always answers with a promise, after `before`. */
export function asAsync<S extends StandardSchemaV1>(
  schema: S,
  before: (value: unknown) => Promise<void> | void = () => {},
): S & { calls: unknown[] } {
  const calls: unknown[] = []
  const props: StandardSchemaV1.Props = {
    version: 1,
    vendor: 'livecrud-test',
    validate: async (value) => {
      calls.push(value)
      await before(value)
      return schema['~standard'].validate(value)
    },
  }
  return { calls, '~standard': props } as unknown as S & { calls: unknown[] }
}
