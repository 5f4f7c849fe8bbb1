import { spawn, type ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import { ALLOW_E2E_ORIGINS } from './ports.js'

/** A reference server run as a child process the test controls: start, stop, restart. */
export class ServerProcess {
  private child: ChildProcess | null = null
  private output = ''

  constructor(
    readonly port: number,
    readonly db: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** The server's recent stdout/stderr, for failure messages. */
  get log(): string {
    return this.output.slice(-4000)
  }

  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error('already started')
    if (await portOpen(this.port)) throw new Error(`port ${this.port} is already in use`)
    const args = ['--import', 'tsx', 'src/server/cli.ts', '--port', String(this.port)]
    args.push('--host', '127.0.0.1', '--db', this.db, ...ALLOW_E2E_ORIGINS)
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000))
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const deadline = Date.now() + timeoutMs
    while (!(await portOpen(this.port))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        this.child = null
        child.kill('SIGKILL')
        throw new Error(`server on ${this.port} (--db ${this.db}) did not start:\n${this.log}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
