import {
  test as base,
  expect,
  type BrowserContext,
  type Locator,
  type Page,
} from '@playwright/test'
import { E2E_DEV_PORT } from './ports.js'

export interface OpenClientOptions {
  /** Server URL for this page (`?server=`); default: the e2e server the config starts. */
  server?: string
  /** Name used in screenshots. */
  name?: string
  /** Load the page from the Vite dev server (React's development build) instead of the build. */
  dev?: boolean
  /** Client panes on the page (default 1; the playground's own default is 2). */
  panes?: number
  /** Tests that cut the network on purpose: the browser's own connection errors are expected. */
  allowNetworkErrors?: boolean
  /** Keep the outbox and cache in IndexedDB (livecrud/persist); off unless asked for. */
  persist?: boolean
}

export interface OpenedClient {
  context: BrowserContext
  page: Page
  /** The first client pane of the page. */
  pane: Locator
  /** Every client pane of the page. */
  panes: Locator[]
}

interface Fixtures {
  /** A collection of this test's own, so tests never see each other's tasks. */
  collection: string
  openClient(options?: OpenClientOptions): Promise<OpenedClient>
}

const NETWORK_ERROR = /net::ERR_|WebSocket connection to .* failed/

export const test = base.extend<Fixtures>({
  // Playwright reads a fixture's dependencies from its first parameter's pattern: it must be `{}`.
  // eslint-disable-next-line no-empty-pattern
  collection: async ({}, use, testInfo) => {
    const slug = testInfo.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(0, 40)
    await use(`e2e_${slug}_${Date.now().toString(36)}`)
  },

  openClient: async ({ browser, collection }, use, testInfo) => {
    const opened: { client: OpenedClient; name: string; errors: string[] }[] = []
    await use(async (options = {}) => {
      const name = options.name ?? `client-${opened.length + 1}`
      const context = await browser.newContext()
      const page = await context.newPage()
      const errors: string[] = []
      const record = (text: string) => {
        if (!(options.allowNetworkErrors && NETWORK_ERROR.test(text))) errors.push(text)
      }
      page.on('console', (msg) => {
        if (msg.type() === 'error') record(`console: ${msg.text()}`)
      })
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
      const count = options.panes ?? 1
      const params = new URLSearchParams({ panes: String(count), collection })
      if (count === 1) params.set('name', name)
      if (options.server) params.set('server', options.server)
      if (!options.persist) params.set('persist', '0')
      const origin = options.dev ? `http://127.0.0.1:${E2E_DEV_PORT}` : ''
      await page.goto(`${origin}/?${params}`)
      const panes = Array.from({ length: count }, (_, i) => page.getByTestId(`pane-${i}`))
      for (const pane of panes) await expect(pane.getByTestId('conn-state')).toHaveText('connected')
      const client = { context, page, pane: panes[0]!, panes }
      opened.push({ client, name, errors })
      return client
    })
    // Screenshots of every page are kept as artifacts, pass or fail.
    for (const { client, name } of opened) {
      const path = testInfo.outputPath(`${name}.png`)
      await client.page.screenshot({ path, fullPage: true }).catch(() => undefined)
      await testInfo.attach(name, { path, contentType: 'image/png' }).catch(() => undefined)
    }
    for (const { client } of opened) await client.context.close()
    for (const { name, errors } of opened) expect(errors, `console errors in ${name}`).toEqual([])
  },
})

export { expect }
