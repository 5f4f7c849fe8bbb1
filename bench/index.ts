/**
 * `npm run bench [-- --quick] [-- --only crud,bundle]`: runs every benchmark suite, each in its own
 * child process (fresh heap, `--expose-gc` for memory figures), and prints one table. Also writes
 * bench/results.json and bench/results.md (the table the README quotes).
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, freemem, tmpdir, totalmem, release } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ratio, type BenchRow, type BenchSuite } from './lib.js'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))
const ROOT = join(BENCH_DIR, '..')

/** The suites, in run order: cheap and isolated first, the multi-process fan-out last. */
const SUITES = [
  { key: 'bundle', file: 'bundleBench.ts' },
  { key: 'store', file: 'storeBench.ts' },
  { key: 'liveList', file: 'liveListBench.ts' },
  { key: 'react', file: 'reactBench.ts' },
  { key: 'crud', file: 'crudBench.ts' },
  { key: 'listByIds', file: 'listByIdsBench.ts' },
  { key: 'writeLoad', file: 'writeLoadBench.ts' },
  { key: 'triggerCost', file: 'triggerCost.ts' },
  { key: 'persist', file: 'persistBench.ts' },
  { key: 'fanout', file: 'fanoutBench.ts' },
  { key: 'peer', file: 'peerBench.ts' },
] as const

interface SuiteResult {
  key: string
  file: string
  status: 'ok' | 'missing' | 'failed' | 'timeout'
  error?: string
  seconds?: number
  suites: { name: string; rows: BenchRow[] }[]
}

interface Args {
  quick: boolean
  only: string[]
  child?: string
  out?: string
  timeout?: number
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value`)
      return v
    }
    if (a === '--quick') args.quick = true
    else if (a.startsWith('--only')) args.only.push(...value().split(','))
    else if (a.startsWith('--child')) args.child = value()
    else if (a.startsWith('--out')) args.out = value()
    else if (a.startsWith('--timeout')) args.timeout = Number(value())
    else if (a === '--help' || a === '-h') {
      console.log(
        'npm run bench [-- --quick] [--only bundle,store,liveList,react,crud,listByIds,writeLoad,triggerCost,persist,fanout,peer]',
      )
      console.log('              [--timeout seconds per suite]')
      process.exit(0)
    } else throw new Error(`unknown argument ${a}`)
  }
  return args
}

const isSuite = (v: unknown): v is BenchSuite =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as BenchSuite).name === 'string' &&
  typeof (v as BenchSuite).run === 'function'

/** Child mode: run one suite file's exported suites, write the rows as JSON. */
async function runChild(file: string, out: string, quick: boolean): Promise<void> {
  const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Record<string, unknown>
  const suites = [...new Set(Object.values(mod).filter(isSuite))]
  if (suites.length === 0) throw new Error(`${file} exports no BenchSuite`)
  const results: SuiteResult['suites'] = []
  for (const suite of suites) {
    results.push({ name: suite.name, rows: await suite.run({ quick }) })
  }
  writeFileSync(out, JSON.stringify(results))
}

function runSuiteProcess(
  suite: (typeof SUITES)[number],
  quick: boolean,
  timeoutS: number,
): Promise<SuiteResult> {
  const file = join(BENCH_DIR, suite.file)
  const base = { key: suite.key, file: `bench/${suite.file}`, suites: [] }
  if (!existsSync(file)) return Promise.resolve({ ...base, status: 'missing' })
  const dir = mkdtempSync(join(tmpdir(), 'livecrud-bench-'))
  const out = join(dir, 'rows.json')
  const t0 = performance.now()
  return new Promise((resolve) => {
    // The suite's own output goes to stderr so stdout carries only the table.
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        suite.file,
        '--out',
        out,
        ...(quick ? ['--quick'] : []),
      ],
      { cwd: ROOT, stdio: ['ignore', 2, 'pipe'], detached: true },
    )
    // Passed through, and the tail kept to name the error in the results.
    let tail = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk)
      tail = (tail + chunk.toString()).slice(-8000)
    })
    let timedOut = false
    // detached: the suite is a process group leader, so servers it spawned are ended with it.
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal)
      } catch {
        // already gone
      }
    }
    // The group does not see the terminal's Ctrl-C: pass interruptions on.
    const interrupted = (signal: NodeJS.Signals) => {
      killGroup('SIGKILL')
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted)
    const timer = setTimeout(() => {
      timedOut = true
      killGroup('SIGTERM')
      setTimeout(() => killGroup('SIGKILL'), 5000).unref()
    }, timeoutS * 1000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted)
      // Whatever the suite left running in its group goes too.
      killGroup('SIGKILL')
      const seconds = (performance.now() - t0) / 1000
      let result: SuiteResult
      if (timedOut) {
        result = { ...base, status: 'timeout', seconds, error: `no result after ${timeoutS} s` }
      } else if (code === 0 && existsSync(out)) {
        result = {
          ...base,
          status: 'ok',
          seconds,
          suites: JSON.parse(readFileSync(out, 'utf8')) as SuiteResult['suites'],
        }
      } else {
        const lines = tail.split('\n').map((l) => l.trim())
        const at = lines.findIndex((l) => /^\w*Error\b/.test(l))
        const message =
          at < 0
            ? undefined
            : lines[at]!.endsWith(':')
              ? `${lines[at]} ${lines[at + 1]}`
              : lines[at]
        result = {
          ...base,
          status: 'failed',
          seconds,
          error: `exit ${code ?? signal}${message ? `: ${message.trim()}` : ''}`,
        }
      }
      rmSync(dir, { recursive: true, force: true })
      resolve(result)
    })
  })
}

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—'
  const a = Math.abs(n)
  if (Number.isInteger(n) && a < 1e6) return String(n)
  if (a >= 100) return n.toFixed(0)
  if (a >= 10) return n.toFixed(1)
  if (a >= 1) return n.toFixed(2)
  return n.toPrecision(3)
}

/** Three decimals below 10×: a ratio is compared with targets like 1.25×. */
const fmtRatio = (r: number | undefined) =>
  r !== undefined && Number.isFinite(r) && Math.abs(r) < 10 ? r.toFixed(3) : fmt(r)

const fmtExtra = (extra: BenchRow['extra']) =>
  Object.entries(extra ?? {})
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`)
    .join('; ')

const HEADER = [
  'figure',
  'median',
  'unit',
  'baseline',
  'baseline median',
  'ratio',
  'target',
  'met',
  'extra',
]

function tableRows(results: SuiteResult[]): string[][] {
  return results.flatMap((r) =>
    r.suites.flatMap((s) =>
      s.rows.map((row) => [
        row.name,
        fmt(row.value),
        row.unit,
        row.baseline?.name ?? '',
        row.baseline ? fmt(row.baseline.value) : '',
        row.baseline ? `${fmtRatio(ratio(row))}×` : '',
        row.target ?? '',
        row.met === undefined ? '' : row.met ? '✓' : '✗',
        fmtExtra(row.extra),
      ]),
    ),
  )
}

function textTable(rows: string[][]): string {
  const all = [HEADER, ...rows]
  const widths = HEADER.map((_, c) => Math.max(...all.map((r) => [...r[c]!].length)))
  const numeric = new Set([1, 4, 5])
  const line = (r: string[]) =>
    r
      .map((cell, c) => {
        const pad = widths[c]! - [...cell].length
        return numeric.has(c) ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad)
      })
      .join('  ')
      .trimEnd()
  return [line(HEADER), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|')

function markdown(
  results: SuiteResult[],
  info: ReturnType<typeof machine> & { quick: boolean },
  command: string,
): string {
  const rows = tableRows(results)
  const missed = results.flatMap((r) =>
    r.suites.flatMap((s) =>
      s.rows
        .filter((row) => row.met === false)
        .map((row) => {
          const vs = row.baseline ? ` (${fmtRatio(ratio(row))}× ${row.baseline.name})` : ''
          return `- ${row.name}: ${fmt(row.value)} ${row.unit}${vs}; target ${row.target ?? '—'}`
        }),
    ),
  )
  const notes = results
    .filter((r) => r.status !== 'ok')
    .map((r) => `- \`${r.file}\`: ${r.status}${r.error ? ` (${r.error})` : ''}`)
  return [
    '<!-- Written by `npm run bench` (bench/index.ts); do not edit by hand. -->',
    `Measured ${info.date} on ${info.cpu} (${info.cores} cores, ${info.memoryGB} GB), Node ${info.node},` +
      ` ${info.os}${info.commit ? `, commit ${info.commit}` : ''}${info.quick ? ', quick mode' : ''}.`,
    `Reproduce with \`${command}\`.`,
    '',
    'Medians; each baseline runs in the same process and the same run; ratio = livecrud ÷ baseline',
    '(lower is better for times and sizes). KB = 1,000 bytes.',
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map((_, c) => ([1, 4, 5].includes(c) ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    '',
    missed.length
      ? ['Where livecrud is not yet ahead (target missed in this run):', ...missed].join('\n')
      : 'Every target with a ✓/✗ column was met in this run.',
    ...(notes.length ? ['', 'Suites not in this run:', ...notes] : []),
    '',
  ].join('\n')
}

const README_START = '<!-- bench:start -->'
const README_END = '<!-- bench:end -->'

/** Replaces what lies between the README's bench markers; false when it has none. */
function updateReadme(md: string): boolean {
  const path = join(ROOT, 'README.md')
  if (!existsSync(path)) return false
  const text = readFileSync(path, 'utf8')
  const start = text.indexOf(README_START)
  const end = text.indexOf(README_END)
  if (start < 0 || end < start) return false
  const body = md.replace(/^<!--.*-->\n/, '')
  writeFileSync(path, `${text.slice(0, start + README_START.length)}\n${body}${text.slice(end)}`)
  return true
}

function machine() {
  let commit: string | undefined
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
  } catch {
    commit = undefined
  }
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    commit,
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.child) {
    if (!args.out) throw new Error('--child needs --out')
    await runChild(args.child, args.out, args.quick)
    // Suites may leave sockets or timers behind; the result is written, so end here.
    process.exit(0)
  }
  const wanted = args.only.length
    ? SUITES.filter((s) =>
        args.only.some((o) => o === s.key || o === s.file || `${o}.ts` === s.file),
      )
    : [...SUITES]
  if (args.only.length && wanted.length === 0) {
    throw new Error(
      `--only ${args.only.join(',')} matches none of ${SUITES.map((s) => s.key).join(', ')}`,
    )
  }
  const timeoutS = args.timeout ?? (args.quick ? 120 : 900)
  const command = `npm run bench${args.quick ? ' -- --quick' : ''}`
  const results: SuiteResult[] = []
  for (const suite of wanted) {
    if (!existsSync(join(BENCH_DIR, suite.file))) {
      console.error(`· ${suite.key}: bench/${suite.file} does not exist yet — skipped`)
      results.push({ key: suite.key, file: `bench/${suite.file}`, status: 'missing', suites: [] })
      continue
    }
    console.error(`· ${suite.key}: running bench/${suite.file}${args.quick ? ' (quick)' : ''}…`)
    const r = await runSuiteProcess(suite, args.quick, timeoutS)
    console.error(
      `· ${suite.key}: ${r.status}${r.error ? ` (${r.error})` : ''} in ${fmt(r.seconds)} s`,
    )
    results.push(r)
  }

  const info = machine()
  console.log(
    `\nlivecrud benchmarks — ${info.date}, ${info.cpu}, ${info.cores} cores, Node ${info.node}` +
      (args.quick ? ' (quick)' : ''),
  )
  console.log(textTable(tableRows(results)))
  for (const r of results.filter((x) => x.status !== 'ok')) {
    console.log(`${r.file}: ${r.status}${r.error ? ` (${r.error})` : ''}`)
  }

  // A partial run (--only) must not overwrite the published full table.
  if (args.only.length === 0) {
    const json = JSON.stringify({ ...info, quick: args.quick, command, results }, null, 2)
    const prettier = await import('prettier')
    writeFileSync(join(BENCH_DIR, 'results.json'), await prettier.format(json, { parser: 'json' }))
    writeFileSync(
      join(BENCH_DIR, 'results.md'),
      markdown(results, { ...info, quick: args.quick }, command),
    )
    console.log('\nwrote bench/results.json and bench/results.md')
    // Quick runs are for checking; only a full run is what the README quotes.
    if (!args.quick && updateReadme(markdown(results, { ...info, quick: false }, command))) {
      console.log('updated the Benchmarks section of README.md')
    }
  }
  if (results.some((r) => r.status === 'failed' || r.status === 'timeout')) process.exitCode = 1
}

await main()
