import { LivecrudError } from 'livecrud'

export function describeError(error: unknown): string {
  if (error instanceof LivecrudError) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
