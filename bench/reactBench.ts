/**
 * Server event → React commit for a 1,000-row list, in Node with react-dom on a happy-dom window:
 * livecrud (reference server, memory store → client store → `useItemIds` list + `useItem` rows) against a
 * baseline measured in the same run: a bare socket.io server emitting to a client whose handler feeds
 * `useState` in the list (rows memoized). Also the render counts per event of both.
 *
 * Timing: t0 just before the server side acts (livecrud: `store.write`, which fans the change out;
 * baseline: `io.emit`), t1 in the changed row's `useLayoutEffect`, i.e. after React committed it to the
 * DOM. A second pair of rows starts the clock when the client's socket delivers the event, which leaves
 * the server out. Events are sequential: each waits for the previous commit.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LivecrudClient } from '../src/client/types.js'
import type { Item } from '../src/protocol/types.js'
import { median, quantile, type BenchRow, type BenchSuite } from './lib.js'

// Before React loads: the production build is what users ship, and no act() environment.
process.env.NODE_ENV = 'production'

const ROWS = 1000
const COLLECTION = 'benchrows'

interface Row extends Item {
  title: string
  n: number
}

interface Probe {
  id: string
  title: string
  resolve: (t: number) => void
}

interface Counts {
  list: number
  rows: number
}

interface Measured {
  /** Server action → commit, ms. */
  total: number[]
  /** Client socket receipt → commit, ms. */
  client: number[]
  /** Renders per event (sums over the samples, divided by the sample count). */
  listRenders: number
  rowRenders: number
}

/** The sample loop shared by both contenders: change a random row's title, wait for its commit. */
async function measure(
  samples: number,
  counts: Counts,
  probes: { current: Probe | null },
  received: { at: number },
  trigger: (id: string, title: string) => void,
): Promise<Measured> {
  const total: number[] = []
  const client: number[] = []
  let listRenders = 0
  let rowRenders = 0
  const warmup = Math.min(20, samples)
  for (let i = 0; i < warmup + samples; i++) {
    const id = `r${(i * 7919) % ROWS}`
    const title = `title ${i}`
    const committed = new Promise<number>((resolve) => (probes.current = { id, title, resolve }))
    counts.list = 0
    counts.rows = 0
    received.at = NaN
    const t0 = performance.now()
    trigger(id, title)
    const t1 = await withTimeout(committed, 5000, `commit of ${id}`)
    // Let anything React scheduled after the commit run before counting.
    await new Promise((r) => setTimeout(r, 0))
    if (i < warmup) continue
    total.push(t1 - t0)
    client.push(t1 - received.at)
    listRenders += counts.list
    rowRenders += counts.rows
  }
  return { total, client, listRenders: listRenders / samples, rowRenders: rowRenders / samples }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
    }),
  ])
}

async function installDom() {
  const { Window } = await import('happy-dom')
  const window = new Window({ url: 'http://127.0.0.1/' })
  const g = globalThis as Record<string, unknown>
  g.window = window
  g.document = window.document
  if (!('navigator' in globalThis)) g.navigator = window.navigator
  return window
}

async function waitFor(check: () => boolean, what: string, ms = 10_000) {
  const until = performance.now() + ms
  while (!check()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const reactBench: BenchSuite = {
  name: 'react',
  async run({ quick }) {
    const samples = quick ? 40 : 300
    const window = await installDom()
    const React = await import('react')
    const { createRoot } = await import('react-dom/client')
    const { Server } = await import('socket.io')
    const { io } = await import('socket.io-client')
    const h = React.createElement
    const probes: { current: Probe | null } = { current: null }
    const probe = (id: string, title: string | undefined) => {
      const p = probes.current
      if (p && p.id === id && p.title === title) {
        probes.current = null
        p.resolve(performance.now())
      }
    }
    const seed: Row[] = Array.from({ length: ROWS }, (_, n) => ({
      id: `r${n}`,
      _version: 1,
      title: `row ${n}`,
      n,
    }))
    const rows: BenchRow[] = []

    // ---- baseline: raw socket.io event → useState in the list, memoized rows ----
    const http = createHttpServer()
    const ioServer = new Server(http, { serveClient: false })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    const rawSocket = io(`http://127.0.0.1:${(http.address() as AddressInfo).port}`)
    const rawCounts: Counts = { list: 0, rows: 0 }
    const rawReceived = { at: NaN }
    const RawRow = React.memo(function RawRow({ item }: { item: Row }) {
      rawCounts.rows++
      React.useLayoutEffect(() => probe(item.id, item.title), [item])
      return h('li', null, item.title)
    })
    const index = new Map(seed.map((r, i) => [r.id, i]))
    function RawList() {
      rawCounts.list++
      const [items, setItems] = React.useState(seed)
      React.useEffect(() => {
        const onChanged = (e: { id: string; title: string }) => {
          rawReceived.at = performance.now()
          setItems((prev) => {
            const i = index.get(e.id)!
            const next = prev.slice()
            next[i] = { ...prev[i]!, title: e.title, _version: prev[i]!._version + 1 }
            return next
          })
        }
        rawSocket.on('CHANGED', onChanged)
        return () => void rawSocket.off('CHANGED', onChanged)
      }, [])
      return h(
        'ul',
        null,
        items.map((item) => h(RawRow, { key: item.id, item })),
      )
    }
    const rawContainer = window.document.createElement('div')
    window.document.body.appendChild(rawContainer as never)
    const rawRoot = createRoot(rawContainer as unknown as Element)
    rawRoot.render(h(RawList))
    await waitFor(() => rawContainer.querySelectorAll('li').length === ROWS, 'baseline mount')
    await waitFor(
      () => rawSocket.connected && rawSocket.io.engine.transport.name === 'websocket',
      'baseline websocket upgrade',
    )
    const raw = await measure(samples, rawCounts, probes, rawReceived, (id, title) =>
      ioServer.emit('CHANGED', { id, title }),
    )
    rawRoot.unmount()
    rawSocket.close()
    await ioServer.close()

    // ---- livecrud: server write → client store → useItemIds list, useItem rows ----
    const { createServer } = await import('../src/server/index.js')
    const { createClient } = (await import('../src/index.js')) as {
      createClient: (options: { url: string }) => LivecrudClient
    }
    const hooks = await import('../src/react/index.js')
    const server = await createServer({ port: 0, host: '127.0.0.1' })
    for (const row of seed)
      await server.store.write({
        collection: COLLECTION,
        id: row.id,
        mutationId: `seed-${row.id}`,
        decide: () => ({ action: 'put', item: { title: row.title, n: row.n } }),
      })
    const client = createClient({ url: server.url })
    const lcCounts: Counts = { list: 0, rows: 0 }
    const lcReceived = { at: NaN }
    const offEvent = client.onEvent(() => {
      if (Number.isNaN(lcReceived.at)) lcReceived.at = performance.now()
    })
    function LcRow({ id }: { id: string }) {
      lcCounts.rows++
      const { data } = hooks.useItem<Row>(COLLECTION, id)
      React.useLayoutEffect(() => probe(id, data?.title), [id, data])
      return h('li', null, data?.title)
    }
    const MemoLcRow = React.memo(LcRow)
    function LcList() {
      lcCounts.list++
      const { ids } = hooks.useItemIds(COLLECTION, { pageSize: ROWS, sort: 'n' })
      return h(
        'ul',
        null,
        ids.map((id) => h(MemoLcRow, { key: id, id })),
      )
    }
    const lcContainer = window.document.createElement('div')
    window.document.body.appendChild(lcContainer as never)
    const lcRoot = createRoot(lcContainer as unknown as Element)
    lcRoot.render(h(hooks.LivecrudProvider, { client }, h(LcList)))
    await waitFor(
      () =>
        lcContainer.querySelectorAll('li').length === ROWS &&
        client.getConnectionState() === 'connected',
      'livecrud mount',
    )
    // The client's socket starts on polling and upgrades; give it the same chance as the baseline.
    await new Promise((r) => setTimeout(r, 300))
    let write = 0
    const lc = await measure(samples, lcCounts, probes, lcReceived, (id, title) => {
      void server.store.write({
        collection: COLLECTION,
        id,
        mutationId: `bench-${write++}`,
        decide: (current) => ({ action: 'put', item: { ...strip(current), title } }),
      })
    })
    offEvent()
    lcRoot.unmount()
    client.close()
    await server.close()
    await window.happyDOM.close()

    const p = (s: number[], q: number) => Number(quantile(s, q).toFixed(3))
    rows.push(
      {
        name: `react: server event → row commit, ${ROWS}-row list`,
        value: median(lc.total),
        unit: 'ms',
        baseline: { name: 'raw socket.io emit → useState commit', value: median(raw.total) },
        extra: { p95: p(lc.total, 0.95), 'baseline p95': p(raw.total, 0.95), samples },
      },
      {
        name: `react: client receipt → row commit, ${ROWS}-row list`,
        value: median(lc.client),
        unit: 'ms',
        baseline: { name: 'raw socket.io handler → useState commit', value: median(raw.client) },
        extra: { p95: p(lc.client, 0.95), 'baseline p95': p(raw.client, 0.95) },
      },
      {
        name: 'react: row re-renders per CHANGED',
        value: lc.rowRenders,
        unit: 'renders',
        baseline: { name: 'raw useState list, memo rows', value: raw.rowRenders },
        target: 'exactly 1',
        met: lc.rowRenders === 1,
      },
      {
        name: 'react: list re-renders per CHANGED (order unchanged)',
        value: lc.listRenders,
        unit: 'renders',
        baseline: { name: 'raw useState list, memo rows', value: raw.listRenders },
        target: '0',
        met: lc.listRenders === 0,
      },
    )
    return rows
  },
}

function strip(item: Record<string, unknown> | null): Record<string, unknown> {
  if (!item) return {}
  const { id: _id, _version: _v, ...rest } = item
  return rest
}
