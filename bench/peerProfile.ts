/**
 * Profiles one contender of bench/peerBench.ts on the create → event path with 2 subscribers:
 * `npx tsx bench/peerProfile.ts [livecrud|feathers|raw] [writes] [dir]` runs its server and a
 * receiving client, each in its own process, warms them up, then records V8 CPU profiles of both
 * during `writes` creates into `dir` (default /tmp/peer-profile): server-<kind>.cpuprofile,
 * receiver-<kind>.cpuprofile and clients-<kind>.cpuprofile (this process: the writing client A and
 * the subscriber B), for Chrome DevTools or any .cpuprofile viewer. Not part of
 * `npm run bench`: it measures nothing by itself.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { Child, createOnce, side } from './peerBench.js'
import { KINDS, makeItem, type Kind } from './peerContenders.js'

const kind = (process.argv[2] ?? 'livecrud') as Kind
const writes = Number(process.argv[3] ?? 5000)
const dir = process.argv[4] ?? '/tmp/peer-profile'
if (!KINDS.includes(kind)) throw new Error(`kind must be one of ${KINDS.join(', ')}`)
mkdirSync(dir, { recursive: true })

const s = await side(kind)
await s.a.create(makeItem(`${kind}-seed`, 0))
const receiver = await Child.start(['receiver', kind, s.server.url])
for (let i = 0; i < 1000; i++) await createOnce(s)
await receiver.cpu(1000)
await Promise.all([s.server.profile(dir), receiver.profile(dir)])
// This process too: clients A (the writer) and B (a subscriber).
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
await session.post('Profiler.start')
const t0 = performance.now()
for (let i = 0; i < writes; i++) await createOnce(s)
await receiver.cpu(1000 + writes)
const seconds = (performance.now() - t0) / 1000
const { profile } = await session.post('Profiler.stop')
writeFileSync(join(dir, `clients-${kind}.cpuprofile`), JSON.stringify(profile))
await Promise.all([s.server.profile(), receiver.profile()])
console.error(`${kind}: ${writes} creates in ${seconds.toFixed(1)} s; profiles in ${dir}`)
s.a.close()
s.b.close()
await receiver.stop()
await s.server.stop()
process.exit(0)
