/**
 * A child process of bench/peerBench.ts, driven over Node's IPC channel:
 *   node --import tsx bench/peerProcess.ts server <kind>          a server; sends { url }
 *   node --import tsx bench/peerProcess.ts receiver <kind> <url>  one library client, subscribed,
 *                                                                 counting the items it is told of
 * Both answer `{ type: 'cpu' }` with their CPU time so far (user + system, µs) and the count, and
 * end on `{ type: 'stop' }` (a normal exit, so `--cpu-prof` writes its profile).
 */
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
  send({ type: 'cpu', cpu: user + system, count })
}
const counted = () => {
  count++
  // After the event's whole handling (the library's work past this listener included).
  if (pending !== undefined && count >= pending) {
    pending = undefined
    setImmediate(reply)
  }
}

process.on('message', (message: { type: string; atCount?: number }) => {
  if (message.type === 'cpu') {
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
