import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * The React tests on React 18 (`npm run test:react18`, which installs it beside node_modules and sets
 * LIVECRUD_REACT18_DIR). Every import of react / react-dom — ours, the tests', Testing Library's — is
 * aliased there; Testing Library is inlined so its imports see the aliases too.
 */
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))
const r18 =
  process.env.LIVECRUD_REACT18_DIR ?? here('./node_modules/.cache/livecrud-react18/node_modules')

export default defineConfig({
  resolve: {
    alias: [
      { find: 'livecrud/react', replacement: here('./src/react/index.ts') },
      { find: 'livecrud/server', replacement: here('./src/server/index.ts') },
      { find: 'livecrud/persist', replacement: here('./src/persist/index.ts') },
      { find: /^livecrud$/, replacement: here('./src/index.ts') },
      {
        find: /^@testing-library\/react$/,
        replacement: here(
          './node_modules/@testing-library/react/dist/@testing-library/react.esm.js',
        ),
      },
      { find: /^react$/, replacement: `${r18}/react/index.js` },
      { find: /^react\/(.*)$/, replacement: `${r18}/react/$1.js` },
      { find: /^react-dom$/, replacement: `${r18}/react-dom/index.js` },
      { find: /^react-dom\/(.*)$/, replacement: `${r18}/react-dom/$1.js` },
    ],
  },
  test: {
    name: 'dom-react18',
    testTimeout: 20_000,
    hookTimeout: 30_000,
    environment: 'happy-dom',
    include: ['test/react/**/*.test.{ts,tsx}'],
    server: { deps: { inline: [/@testing-library/] } },
  },
})
