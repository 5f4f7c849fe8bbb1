import { spawnListening, type ListeningProcess } from '../../../scripts/spawnListening.js'

export type ServerProcess = ListeningProcess

/**
 * Spawns the real CLI (`livecrud-server --port 0 --db … [args]`) and resolves with its URL once it
 * listens.
 */
export function startServerProcess(
  db: string,
  timeoutMs = 30_000,
  args: string[] = [],
): Promise<ServerProcess> {
  return spawnListening(['bin/livecrud-server.js', '--port', '0', '--db', db, ...args], {
    timeoutMs,
    env: { ...process.env, NODE_ENV: 'test' },
  })
}
