/**
 * A child process of bench/peerBench.ts, driven over Node's IPC channel:
 *   node --import tsx bench/peerProcess.ts server <kind>          a server; sends { url }
 *   node --import tsx bench/peerProcess.ts receiver <kind> <url>  one library client, subscribed,
 *                                                                 counting the items it is told of
 * Both answer `{ type: 'cpu' }` with their CPU time so far (user + system, µs) and the count, and
 * end on `{ type: 'stop' }`. `{ type: 'profile', dir }` starts V8's CPU profiler; the next
 * `{ type: 'profile' }` without a dir writes `<role>-<kind>.cpuprofile` there (bench/peerProfile.ts).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { connectPeerClient, KINDS, startPeerServer, type Kind } from './peerContenders.js'

const [role, kindArg, url] = process.argv.slice(2)
const kind = kindArg as Kind
if (!KINDS.includes(kind) || (role !== 'server' && role !== 'receiver'))
  throw new Error(`usage: peerProcess.ts server|receiver ${KINDS.join('|')} [url]`)

let count = 0
/** A `cpu` request waiting for the count to reach `atCount`. */
let pending: number | undefined
const send = (message: unknown) => process.send!(message)
const reply = () => {
  const { user, system } = process.cpuUsage()
  send({ type: 'cpu', cpu: user + system, user, system, count })
}
const counted = () => {
  count++
  // After the event's whole handling (the library's work past this listener included).
  if (pending !== undefined && count >= pending) {
    pending = undefined
    setImmediate(reply)
  }
}

let profiling: { session: Session; dir: string } | null = null
async function profile(dir: string | undefined): Promise<void> {
  if (dir !== undefined) {
    const session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    // 100 µs instead of V8's default 1 ms: one write is a fraction of a millisecond.
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    profiling = { session, dir }
  } else if (profiling) {
    const { profile } = await profiling.session.post('Profiler.stop')
    writeFileSync(join(profiling.dir, `${role}-${kind}.cpuprofile`), JSON.stringify(profile))
    profiling.session.disconnect()
    profiling = null
  }
  send({ type: 'profiled' })
}

process.on('message', (message: { type: string; atCount?: number; dir?: string }) => {
  if (message.type === 'profile') {
    void profile(message.dir)
  } else if (message.type === 'cpu') {
    if (message.atCount !== undefined && count < message.atCount) pending = message.atCount
    else reply()
  } else if (message.type === 'stop') {
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))

if (role === 'server') {
  const { url: listening } = await startPeerServer(kind)
  send({ type: 'ready', url: listening })
} else {
  const client = await connectPeerClient(kind, url!)
  client.onCreated(counted)
  send({ type: 'ready' })
}
