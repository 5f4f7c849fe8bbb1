import { spawnListening } from '../scripts/spawnListening.js'

export type { ListeningProcess as Child } from '../scripts/spawnListening.js'

export const livecrudServer = (db: string) =>
  spawnListening(['bin/livecrud-server.js', '--port', '0', '--db', db], { echoStderr: true })
export const bareServer = () =>
  spawnListening(['--import', 'tsx', 'bench/fanoutBareServer.ts'], { echoStderr: true })
