const params = new URLSearchParams(window.location.search)

/** `?server=` wins so a test (or a person) can point one page at another server. */
export const serverUrl: string =
  params.get('server') ?? import.meta.env.VITE_LIVECRUD_SERVER ?? 'http://127.0.0.1:3000'

const PANE_NAMES = ['Alice', 'Bob', 'Carol', 'Dave']

const firstName = params.get('name')?.slice(0, 24)
if (firstName) PANE_NAMES[0] = firstName

/** `?panes=1` shows a single client (e2e opens one per browser context; `?name=` names it). */
export const paneNames: string[] = PANE_NAMES.slice(
  0,
  Math.min(PANE_NAMES.length, Math.max(1, Number(params.get('panes') ?? 2) || 2)),
)

/** `?collection=` isolates a test (or a demo) from the tasks of everyone else on the same server. */
export const collectionName: string = params.get('collection') ?? 'tasks'

/** Persistence (`livecrud/persist`) is on unless `?persist=0` (the e2e specs that test other things). */
export const persist: boolean = params.get('persist') !== '0'
