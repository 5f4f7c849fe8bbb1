/** Node's codes for a certificate it refused (tls/`X509_V_ERR_*` names, and the host name check). */
const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/

interface Cause {
  code?: unknown
  message?: unknown
}

/**
 * The certificate error behind a socket.io `connect_error`, if that is what it was. In Node the
 * WebSocket transport reports it as `description.error` (ws's error event), long-polling as
 * `context.statusText` (the XMLHttpRequest shim's error). Browsers hide the cause: null there.
 */
export function tlsFailure(error: unknown): { reason: string; message: string } | null {
  const e = error as { description?: { error?: Cause } & Cause; context?: { statusText?: Cause } }
  for (const cause of [e?.description?.error, e?.description, e?.context?.statusText]) {
    if (typeof cause !== 'object' || cause === null) continue
    const code = cause.code
    if (typeof code === 'string' && CERT_CODE.test(code))
      return { reason: code, message: typeof cause.message === 'string' ? cause.message : code }
  }
  return null
}
