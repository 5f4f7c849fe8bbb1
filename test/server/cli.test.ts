import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { io } from 'socket.io-client'
import { afterAll, describe, expect, it } from 'vitest'
import { connect, ok, recordEvents, request, settle, wm } from './helpers.js'
import { makeTestCert } from './tlsCert.js'

const bin = fileURLToPath(new URL('../../bin/livecrud-server.js', import.meta.url))
let child: ChildProcess | undefined

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
})

/** Starts the CLI and resolves the URL it prints once listening. */
function startCli(args: string[]): Promise<string> {
  child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000)
    child!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (https?:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child!.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child!.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
  })
}

describe('livecrud-server CLI', () => {
  it('serves a socket.io client from another process and stops on SIGTERM', async () => {
    const url = await startCli(['--port', '0', '--host', '127.0.0.1', '--db', 'memory'])
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const a = await connect({ url })
    const b = await connect({ url })
    const events = recordEvents(b)
    await ok(b, 'SUBSCRIBE', 'todos')
    const { result } = await ok(a, 'POST', 'todos', { title: 'from another process' }, wm())
    expect((await ok(b, 'GET', 'todos', result.id)).result).toEqual(result)
    await settle(b)
    expect(events.map((e) => e.type)).toEqual(['ADDED'])
    a.close()
    b.close()
    const exited = new Promise<number | null>((r) => child!.once('exit', r))
    child!.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 30_000)

  it('serves https:// and wss:// with --tls-cert and --tls-key', async () => {
    const cert = makeTestCert()
    try {
      const url = await startCli([
        '--port',
        '0',
        '--tls-cert',
        cert.certFile,
        '--tls-key',
        cert.keyFile,
      ])
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const socket = io(url, { ca: cert.cert, transports: ['websocket'], reconnection: false })
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve)
        socket.once('connect_error', reject)
      })
      const { result } = await ok(socket, 'POST', 'todos', { title: 'over wss' }, wm())
      expect(result).toMatchObject({ title: 'over wss' })
      socket.close()
      const exited = new Promise<number | null>((r) => child!.once('exit', r))
      child!.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      cert.remove()
    }
  }, 30_000)

  it('refuses --tls-cert without --tls-key, and an unreadable certificate file', async () => {
    const run = async (args: string[]) => {
      const p = spawn(process.execPath, [bin, '--port', '0', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      let err = ''
      p.stderr!.on('data', (c: Buffer) => (err += c.toString()))
      const code = await new Promise<number | null>((r) => p.once('exit', r))
      return { code, err }
    }
    expect(await run(['--tls-cert', 'cert.pem'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('--tls-cert and --tls-key go together'),
    })
    expect(
      await run(['--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem']),
    ).toMatchObject({
      code: 1,
      err: expect.stringContaining('--tls-cert: cannot read /nonexistent/c.pem (ENOENT)'),
    })
  }, 30_000)

  it('validates writes with the schemas of a --collections module', async () => {
    const module = fileURLToPath(new URL('./fixtures/collections.mjs', import.meta.url))
    const url = await startCli(['--port', '0', '--db', 'memory', '--collections', module])
    const a = await connect({ url })
    const bad = await request(a, 'POST', 'notes', { text: ' ' }, wm())
    expect(bad.err).toMatchObject({
      code: 'BAD_REQUEST',
      details: { issues: [{ path: ['text'] }] },
    })
    const { result } = await ok(a, 'POST', 'notes', { text: ' hi ' }, wm())
    expect(result).toMatchObject({ text: 'hi', pinned: false })
    a.close()
    const exited = new Promise<number | null>((r) => child!.once('exit', r))
    child!.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 30_000)

  it('refuses an unknown store URL with a usage message', async () => {
    const p = spawn(process.execPath, [bin, '--db', 'ftp://nowhere', '--port', '0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    p.stderr!.on('data', (c: Buffer) => (err += c.toString()))
    const code = await new Promise<number | null>((r) => p.once('exit', r))
    expect(code).toBe(1)
    expect(err).toContain('unsupported store URL')
    expect(err).toContain('usage: livecrud-server')
  }, 30_000)
})
