import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { attach, type Attached } from '../src/server/index.js'
import { makeTestCert, type TestCert } from '../test/server/tlsCert.js'
import { createTask, row, titles } from './board.js'

/** The playground's production build (the config's `vite build` makes it before any spec runs). */
const DIST = fileURLToPath(new URL('../dist-playground/', import.meta.url))
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
}

let cert: TestCert
let https: Server
let livecrud: Attached
let url: string

// One https server: the playground's files and livecrud, same origin, a certificate of the test's own.
test.beforeAll(async () => {
  if (!existsSync(join(DIST, 'index.html')))
    throw new Error(
      `no playground build in ${DIST}: the config's vite webServer makes it (vite build)`,
    )
  cert = makeTestCert()
  https = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'https://x').pathname).replace(/^\/+/, '')
    readFile(join(DIST, path === '' ? 'index.html' : path)).then(
      (body) =>
        res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'text/html' }).end(body),
      () => res.writeHead(404).end(),
    )
  })
  livecrud = attach(https)
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
})

test.afterAll(async () => {
  await livecrud?.close()
  https?.closeAllConnections()
  await new Promise((r) => https?.close(r))
  cert?.remove()
})

test('the playground over https:// syncs two browsers over long-polling then wss://', async ({
  browser,
}) => {
  const errors: string[] = []
  const sockets: string[] = []
  const polls: string[] = []
  const open = async (name: string) => {
    // The test's own CA is unknown to Chromium: the context is told to accept it.
    const context = await browser.newContext({ ignoreHTTPSErrors: true })
    const page = await context.newPage()
    page.on('console', (m) => m.type() === 'error' && errors.push(`${name}: ${m.text()}`))
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`))
    page.on('websocket', (ws) => sockets.push(ws.url()))
    page.on('request', (r) => r.url().includes('transport=polling') && polls.push(r.url()))
    const params = new URLSearchParams({ server: url, panes: '1', name, collection: 'https' })
    await page.goto(`${url}/?${params}`)
    const pane = page.getByTestId('pane-0')
    await expect(pane.getByTestId('conn-state')).toHaveText('connected')
    return { context, pane }
  }
  const a = await open('A')
  const b = await open('B')
  await createTask(a.pane, 'over TLS')
  await expect.poll(() => titles(b.pane)).toEqual(['over TLS'])
  await row(b.pane, 'over TLS').getByTestId('task-done').check()
  await expect(row(a.pane, 'over TLS').getByTestId('task-done')).toBeChecked()

  expect(sockets.length).toBeGreaterThan(0)
  for (const socket of sockets) expect(socket).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/socket\.io\//)
  // socket.io starts on long-polling, over https://, then upgrades.
  expect(polls.length).toBeGreaterThan(0)
  for (const poll of polls) expect(poll).toMatch(/^https:\/\//)
  await a.context.close()
  await b.context.close()
  expect(errors).toEqual([])
})
