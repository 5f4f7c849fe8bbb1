import { spawnListening, type ListeningProcess } from '../../../scripts/spawnListening.js'

export type ServerProcess = ListeningProcess

/**
 * Spawns the real CLI (`src/server/cli.ts --port 0 --db … [args]`, through tsx) and resolves
 * with its URL once it listens. The sources, not `bin/` (which prefers a `dist/` build when
 * present): a stale build would test yesterday's server.
 */
export function startServerProcess(
  db: string,
  timeoutMs = 30_000,
  args: string[] = [],
): Promise<ServerProcess> {
  return spawnListening(
    ['--import', 'tsx', 'src/server/cli.ts', '--port', '0', '--db', db, ...args],
    {
      timeoutMs,
      env: { ...process.env, NODE_ENV: 'test' },
    },
  )
}
