import { readFileSync } from 'node:fs'
import { io } from 'socket.io-client'
import { createServer } from '/work/wt-attach/src/server/index.ts'
const key = readFileSync('/tmp/attachx/key.pem'), cert = readFileSync('/tmp/attachx/cert.pem')
const s = await createServer({ tls: { key, cert } })
console.log(s.url)
for (const transports of [['polling'], ['websocket'], undefined] as const) {
  const c = io(s.url, { transports: transports as any, reconnection: false })
  await new Promise<void>((r) => c.once('connect_error', (e: any) => { console.log(transports, e.message, e.type, e.description?.message ?? e.description, e.description?.code, Object.keys(e), e.context && Object.keys(e.context), e.description?.error?.code); r() }))
  c.close()
}
const ok = io(s.url, { ca: cert, transports: ['websocket'] })
await new Promise<void>((r) => ok.once('connect', () => { console.log('ws ok'); r() }))
ok.close()
const ok2 = io(s.url, { ca: cert, transports: ['polling'] })
await new Promise<void>((r) => ok2.once('connect', () => { console.log('poll ok', ok2.io.engine.transport.name); r() }))
ok2.close()
await s.close()
