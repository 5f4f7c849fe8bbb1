import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/**
 * Known-advisory floors for the transport and patch stack (see shared notes, reliability §1.4):
 * socket.io ≥ 4.6.2 (CVE-2024-38355: unhandled 'error' event crash), socket.io-parser ≥ 4.2.7,
 * engine.io ≥ 6.6.7, ws ≥ 8.21.1, fast-json-patch ≥ 3.1.1 (CVE-2021-4279 prototype pollution).
 */
const FLOORS: Record<string, string> = {
  'socket.io': '4.6.2',
  'socket.io-parser': '4.2.7',
  'engine.io': '6.6.7',
  ws: '8.21.1',
  'fast-json-patch': '3.1.1',
}
const REQUIRED = ['socket.io', 'socket.io-parser', 'engine.io', 'fast-json-patch']

interface Node {
  version?: string
  dependencies?: Record<string, Node>
}

function collect(node: Node, found: Map<string, Set<string>>): void {
  for (const [name, child] of Object.entries(node.dependencies ?? {})) {
    if (child.version) {
      if (!found.has(name)) found.set(name, new Set())
      found.get(name)!.add(child.version)
    }
    collect(child, found)
  }
}

function atLeast(version: string, floor: string): boolean {
  const a = version.split(/[.+-]/).slice(0, 3).map(Number)
  const b = floor.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

describe('dependency floors', () => {
  it('every resolved copy of the transport and patch packages is at or above its floor', () => {
    const json = execFileSync('npm', ['ls', '--all', '--json', ...Object.keys(FLOORS)], {
      cwd: new URL('../..', import.meta.url),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
    })
    const found = new Map<string, Set<string>>()
    collect(JSON.parse(json) as Node, found)
    for (const name of REQUIRED) expect(found.has(name), `${name} is installed`).toBe(true)
    for (const [name, versions] of found) {
      const floor = FLOORS[name]
      if (!floor) continue
      for (const v of versions) expect(atLeast(v, floor), `${name}@${v} ≥ ${floor}`).toBe(true)
    }
  }, 30_000)

  it('compares versions numerically', () => {
    expect(atLeast('4.10.0', '4.6.2')).toBe(true)
    expect(atLeast('4.6.1', '4.6.2')).toBe(false)
    expect(atLeast('8.21.1', '8.21.1')).toBe(true)
    expect(atLeast('10.0.0-rc.1', '8.21.1')).toBe(true)
  })
})
