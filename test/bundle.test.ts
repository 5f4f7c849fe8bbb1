import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BUDGET,
  KB,
  PERSIST_BUDGET_KB,
  ROOT,
  byModule,
  isNodeBuiltin,
  kb,
  measureAll,
  type BundleMeasure,
} from '../scripts/bundleSize.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

// Bundling for platform 'browser' throws on any Node builtin or unresolvable import: that is the first
// check, and esbuild's message names the offending import. Shared by every test, awaited by each, so a
// failure fails each of them instead of skipping them.
let pending: Promise<BundleMeasure[]> | undefined
const measures = () => (pending ??= measureAll())
async function get(entry: string, mode: BundleMeasure['mode']): Promise<BundleMeasure> {
  const m = (await measures()).find((x) => x.entry === entry && x.mode === mode)
  if (!m) throw new Error(`no ${mode} measure for ${entry}`)
  return m
}

/** Where the bytes go, for a failure message that says what to look at. */
const heaviest = (m: BundleMeasure) =>
  byModule(m, m.mode === 'own')
    .slice(0, 6)
    .map(([mod, bytes]) => `${mod} ${kb(bytes)} KB min`)
    .join(', ')

const packageOf = (path: string) =>
  path.startsWith('@') ? path.split('/').slice(0, 2).join('/') : path.split('/')[0]!

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name)
    if (d.isDirectory()) return sourceFiles(path)
    return /\.(ts|tsx|js|mjs)$/.test(d.name) ? [path] : []
  })
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
function importsOf(code: string): string[] {
  const out: string[] = []
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!)
  return out
}

describe('bundle', () => {
  it(`keeps livecrud's own code within ${BUDGET.ownKB} KB min+gzip`, async () => {
    const own = await get('livecrud', 'own')
    expect(
      own.gzip,
      `livecrud own code is ${kb(own.gzip)} KB min+gzip (budget ${BUDGET.ownKB} KB); heaviest: ${heaviest(own)}`,
    ).toBeLessThanOrEqual(BUDGET.ownKB * KB)
  })

  it(`keeps livecrud with all its dependencies within ${BUDGET.allKB} KB min+gzip`, async () => {
    const all = await get('livecrud', 'all')
    expect(
      all.gzip,
      `livecrud with dependencies is ${kb(all.gzip)} KB min+gzip (budget ${BUDGET.allKB} KB); heaviest: ${heaviest(all)}`,
    ).toBeLessThanOrEqual(BUDGET.allKB * KB)
  })

  it(`keeps what livecrud/persist adds to livecrud within ${PERSIST_BUDGET_KB} KB min+gzip`, async () => {
    const added = await get('livecrud/persist', 'added')
    const layer = await get('livecrud/persist', 'layer')
    expect(Object.keys(layer.inputs).every((p) => p.startsWith('src/persist/'))).toBe(true)
    expect(
      added.gzip,
      `livecrud/persist adds ${kb(added.gzip)} KB min+gzip (budget ${PERSIST_BUDGET_KB} KB); src/persist alone: ${heaviest(layer)}`,
    ).toBeLessThanOrEqual(PERSIST_BUDGET_KB * KB)
  })

  it('never pulls server code or Node builtins into the browser entries', async () => {
    for (const m of await measures()) {
      const inputs = Object.keys(m.inputs)
      expect(inputs.length, `${m.entry} (${m.mode}) bundled nothing`).toBeGreaterThan(0)
      expect(
        inputs.filter((p) => p.startsWith('src/server/')),
        `${m.entry} (${m.mode})`,
      ).toEqual([])
      expect(
        inputs.filter((p) =>
          /node_modules\/(socket\.io|engine\.io|ws|pg|ioredis|@electric-sql)\//.test(p),
        ),
        `${m.entry} (${m.mode}) bundles server-side packages`,
      ).toEqual([])
      expect(m.externals.filter(isNodeBuiltin), `${m.entry} (${m.mode})`).toEqual([])
    }
  })

  it('imports only declared dependencies and peers from the browser entries', async () => {
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ])
    // livecrud/persist imports no package at all: only the core, which its layer leaves external.
    const persist = await get('livecrud/persist', 'layer')
    expect(persist.externals.filter((p) => !p.startsWith('../'))).toEqual([])
    for (const entry of ['livecrud', 'livecrud/react']) {
      const undeclared = (await get(entry, 'own')).externals.filter(
        (p) => !declared.has(packageOf(p)),
      )
      expect(undeclared, `${entry} imports packages users would not install`).toEqual([])
    }
  })

  it('keeps React out of the core: only livecrud/react may import it', async () => {
    const all = await get('livecrud', 'all')
    expect(
      Object.keys(all.inputs).filter((p) => /node_modules\/(react|react-dom|scheduler)\//.test(p)),
    ).toEqual([])
    const own = await get('livecrud', 'own')
    expect(own.externals.filter((p) => /^react(-dom)?(\/|$)/.test(p))).toEqual([])
    // Also files the entry does not reach (yet): the rule is about the folders, not today's graph.
    const core = sourceFiles(join(ROOT, 'src')).filter(
      (f) =>
        !f.startsWith(join(ROOT, 'src', 'react')) && !f.startsWith(join(ROOT, 'src', 'server')),
    )
    expect(core.length).toBeGreaterThan(0)
    const offenders = core.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => /^react(-dom)?(\/|$)/.test(s) || /(^|\/)react\//.test(s))
        .map((s) => `${relative(ROOT, f)} imports ${s}`),
    )
    expect(offenders).toEqual([])
  })
})
