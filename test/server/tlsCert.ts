import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCert {
  key: string
  cert: string
  /** Paths of the same PEMs (for the CLI), deleted by `remove`. */
  keyFile: string
  certFile: string
  remove(): void
}

/**
 * A fresh self-signed certificate for 127.0.0.1 and localhost, valid one day, made with openssl
 * (no private key is checked in). Trusting it as `ca` is what a client of the test server does.
 */
export function makeTestCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'livecrud-tls-'))
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  return {
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    keyFile,
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
