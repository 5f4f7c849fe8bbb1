import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

// The package exports point at dist/, which may not be built: the playground runs from source.
export default defineConfig({
  root: 'playground',
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^livecrud\/react$/, replacement: src('react/index.ts') },
      { find: /^livecrud\/persist$/, replacement: src('persist/index.ts') },
      { find: /^livecrud$/, replacement: src('index.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { outDir: '../dist-playground', emptyOutDir: true },
})
