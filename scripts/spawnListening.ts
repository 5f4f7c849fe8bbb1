import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface ListeningProcess {
  url: string
  child: ChildProcess
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>
}

export interface SpawnOptions {
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Forward the child's stderr to ours (benchmarks want to see it; tests keep it for the error). */
  echoStderr?: boolean
}

/**
 * Spawns `node <args>` in the repository root and resolves once it prints `listening on <url>` (the
 * reference server's CLI and the bench's bare socket.io server both do). Shared by tests and benchmarks.
 */
export function spawnListening(
  args: string[],
  options: SpawnOptions = {},
): Promise<ListeningProcess> {
  const { timeoutMs = 60_000, env = process.env, echoStderr = false } = options
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
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
      const m = /listening on (https?:\/\/\S+)/.exec(output)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1]!, child, stop })
      }
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (echoStderr) process.stderr.write(chunk)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}:\n${output}`))
    })
  })
}
