#!/usr/bin/env node
// `npm start`: the reference server (PGlite in ./.data) and the Vite playground, in one command.
// Env: PORT (server, default 3000), VITE_PORT (default 5173), LIVECRUD_DB (default pglite:./.data/pglite).
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const host = '127.0.0.1'
const serverPort = Number(process.env.PORT ?? 3000)
const vitePort = Number(process.env.VITE_PORT ?? 5173)
const preferredDb = process.env.LIVECRUD_DB ?? 'pglite:./.data/pglite'
const serverUrl = `http://${host}:${serverPort}`
const children = new Set()
let stopping = false

function log(message) {
  console.log(`[start] ${message}`)
}

function run(name, args, env = {}) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  child.name = name
  children.add(child)
  child.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    }),
  )
  return child
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Resolves true once `port` accepts connections, false if `child` exits first or time runs out. */
async function waitReady(child, port, timeoutMs) {
  let exited = false
  child.exited.then(() => (exited = true))
  const deadline = Date.now() + timeoutMs
  while (!exited && Date.now() < deadline) {
    if (await portOpen(port)) return !exited
    await new Promise((r) => setTimeout(r, 150))
  }
  return false
}

function startServer(db) {
  const args = ['--import', 'tsx', 'src/server/cli.ts', '--port', String(serverPort)]
  args.push('--host', host, '--db', db)
  // The board's schema: the server validates writes with the same object the page uses.
  args.push('--collections', 'playground/src/collections.ts')
  // The playground is another origin than the server: allow exactly its two spellings.
  for (const origin of [`http://${host}:${vitePort}`, `http://localhost:${vitePort}`])
    args.push('--allow-origin', origin)
  return run(`server (${db})`, args)
}

async function shutdown(code) {
  if (stopping) return
  stopping = true
  if (children.size > 0) log('stopping the server and Vite')
  for (const child of children) child.kill('SIGTERM')
  const force = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL')
  }, 5000)
  force.unref()
  await Promise.all([...children].map((c) => c.exited))
  process.exit(code)
}

async function main() {
  const ports = { PORT: serverPort, VITE_PORT: vitePort }
  for (const [variable, port] of Object.entries(ports))
    if (await portOpen(port)) {
      console.error(
        `[start] port ${port} is already in use: stop the other process or set ${variable}.`,
      )
      process.exit(1)
    }
  // PGlite creates its data directory but not the parents.
  if (preferredDb.startsWith('pglite:./.data/'))
    mkdirSync(new URL('../.data', import.meta.url), { recursive: true })
  let server = startServer(preferredDb)
  if (!(await waitReady(server, serverPort, 60_000))) {
    if (stopping) return
    if (server.exitCode === null) server.kill('SIGTERM')
    await server.exited
    if (preferredDb === 'memory') throw new Error('the reference server did not start')
    log(`the server could not start with --db ${preferredDb}; falling back to the MEMORY store`)
    log('(data will not survive a restart)')
    server = startServer('memory')
    if (!(await waitReady(server, serverPort, 30_000)))
      throw new Error('the reference server did not start')
  }
  log(`reference server on ${serverUrl} (${server.name})`)

  const vite = run(
    'vite',
    ['node_modules/vite/bin/vite.js', '--port', String(vitePort), '--host', host, '--strictPort'],
    { VITE_LIVECRUD_SERVER: serverUrl },
  )
  if (!(await waitReady(vite, vitePort, 30_000)))
    throw new Error('the Vite dev server did not start')
  console.log(`\nlivecrud playground: open http://${host}:${vitePort}\n`)

  // Either child dying takes the other down: a half-running playground only confuses.
  for (const child of [server, vite])
    child.exited.then(({ code, signal }) => {
      if (stopping) return
      log(`${child.name} exited (${signal ?? code}); stopping`)
      void shutdown(code || 1)
    })
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(0))

main().catch((error) => {
  console.error(`[start] ${error.message}`)
  void shutdown(1)
})
