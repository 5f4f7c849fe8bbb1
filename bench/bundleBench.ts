/**
 * Bundle size of `livecrud`, `livecrud/react` and `livecrud/persist`, min+gzip, own code and with all dependencies. The
 * baseline is socket.io-client alone: the floor of any client built on socket.io.
 */
import {
  PERSIST_BUDGET_KB,
  TARGET,
  KB,
  byModule,
  kb,
  measureAll,
  measureSocketIoClient,
  type BundleMeasure,
} from '../scripts/bundleSize.js'
import type { BenchRow, BenchSuite } from './lib.js'

const heaviest = (m: BundleMeasure, n: number) =>
  byModule(m)
    .slice(0, n)
    .map(([mod, bytes]) => `${mod} ${kb(bytes)}`)
    .join(', ')

export const bundleBench: BenchSuite = {
  name: 'bundle',
  async run() {
    const measures = await measureAll()
    const sio = await measureSocketIoClient()
    const get = (entry: string, mode: BundleMeasure['mode']) =>
      measures.find((m) => m.entry === entry && m.mode === mode)!
    const sioBaseline = { name: 'socket.io-client alone', value: kb(sio.gzip) }
    const row = (name: string, m: BundleMeasure, more: Partial<BenchRow> = {}): BenchRow => ({
      name,
      value: kb(m.gzip),
      unit: 'KB',
      ...more,
      extra: { 'min KB': kb(m.min), 'brotli KB': kb(m.brotli), ...more.extra },
    })
    const own = get('livecrud', 'own')
    const all = get('livecrud', 'all')
    return [
      row('bundle livecrud, own code (min+gzip)', own, {
        target: `≤ ${TARGET.ownKB} KB`,
        met: own.gzip <= TARGET.ownKB * KB,
      }),
      row('bundle livecrud, with all dependencies (min+gzip)', all, {
        baseline: sioBaseline,
        target: `≤ ${TARGET.allKB} KB`,
        met: all.gzip <= TARGET.allKB * KB,
        extra: { 'largest, min KB': heaviest(all, 5) },
      }),
      row('bundle livecrud/react, own code (min+gzip)', get('livecrud/react', 'own')),
      row(
        'bundle livecrud/react, added on top of livecrud (min+gzip)',
        get('livecrud/react', 'layer'),
      ),
      row(
        'bundle livecrud/react, all dependencies but React (min+gzip)',
        get('livecrud/react', 'all'),
      ),
      row(
        'bundle livecrud/persist, added to livecrud (min+gzip)',
        get('livecrud/persist', 'added'),
        {
          target: `≤ ${PERSIST_BUDGET_KB} KB`,
          met: get('livecrud/persist', 'added').gzip <= PERSIST_BUDGET_KB * KB,
          extra: { 'src/persist alone, gzip KB': kb(get('livecrud/persist', 'layer').gzip) },
        },
      ),
    ]
  },
}
