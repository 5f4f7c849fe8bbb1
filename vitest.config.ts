import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))
const alias = {
  'livecrud/react': src('react/index.ts'),
  'livecrud/server': src('server/index.ts'),
  'livecrud/persist': src('persist/index.ts'),
  livecrud: src('index.ts'),
}
const websocketFlag = process.versions.node.startsWith('20.') ? ['--experimental-websocket'] : []
// Inline projects do not inherit the root `test` options, so every project sets these itself.
const timeouts = { testTimeout: 20_000, hookTimeout: 30_000 }

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          ...timeouts,
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/msw/**', 'test/react/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          ...timeouts,
          name: 'msw',
          environment: 'node',
          include: ['test/msw/**/*.test.ts'],
          execArgv: websocketFlag,
          setupFiles: ['test/msw/setup.ts'],
        },
      },
      {
        resolve: { alias },
        test: {
          ...timeouts,
          name: 'dom',
          environment: 'happy-dom',
          include: ['test/react/**/*.test.{ts,tsx}'],
        },
      },
      {
        // Type tests: vitest runs tsc over these files (`expectTypeOf`, `@ts-expect-error`) and
        // reports each `it` as a test. `npm run typecheck` covers them too (tsconfig includes test/).
        test: {
          ...timeouts,
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['test/**/*.test-d.ts'],
            tsconfig: './tsconfig.typetests.json',
          },
        },
      },
    ],
  },
})
