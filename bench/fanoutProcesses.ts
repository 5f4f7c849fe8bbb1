import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Child {
  url: string
  process: ChildProcess
  stop(): Promise<void>
}

/** Spawns `node <args>` and resolves once it prints `listening on <url>`. */
export function spawnListening(args: string[], timeoutMs = 60_000): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
      child.once('exit', () => {
        clearTimeout(force)
        resolve()
      })
      child.kill('SIGTERM')
    })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`no "listening on" within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const m = /listening on (http:\/\/\S+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, process: child, stop })
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      process.stderr.write(chunk)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}:\n${output}`))
    })
  })
}

export const livecrudServer = (db: string) =>
  spawnListening(['bin/livecrud-server.js', '--port', '0', '--db', db])
export const bareServer = () => spawnListening(['--import', 'tsx', 'bench/fanoutBareServer.ts'])
