import { useEffect, useState } from 'react'
import type { PersistenceState } from 'livecrud'

export interface PersistedWrite {
  mutationId: string
  kind: string
  id: string
}

/** What the persistence's IndexedDB outbox holds now (read directly, twice a second), for devtools. */
export function usePersistedOutbox(
  database: string | undefined,
  state: PersistenceState,
): PersistedWrite[] {
  const [writes, setWrites] = useState<PersistedWrite[]>([])
  useEffect(() => {
    if (!database || state !== 'indexeddb') {
      setWrites([])
      return
    }
    let stopped = false
    const read = async () => {
      const found = await readOutbox(database).catch(() => [])
      if (!stopped)
        setWrites((old) =>
          old.map((w) => w.mutationId).join() === found.map((w) => w.mutationId).join()
            ? old
            : found,
        )
    }
    void read()
    const timer = setInterval(() => void read(), 500)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [database, state])
  return writes
}

async function readOutbox(database: string): Promise<PersistedWrite[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(database)
    // Never create it (after clearPersistence it must stay gone): an upgrade means it does not exist.
    r.onupgradeneeded = () => r.transaction?.abort()
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  try {
    if (!db.objectStoreNames.contains('outbox')) return []
    const records = await new Promise<{ at: number; w: { request: PersistedWrite } }[]>(
      (resolve, reject) => {
        const r = db.transaction('outbox').objectStore('outbox').getAll()
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      },
    )
    return records
      .sort((a, b) => a.at - b.at)
      .map(({ w: { request: r } }) => ({ mutationId: r.mutationId, kind: r.kind, id: r.id }))
  } finally {
    db.close()
  }
}
