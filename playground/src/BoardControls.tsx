import { paneNames } from './config.js'
import { SORTS, type BoardView } from './tasks.js'

interface Props {
  view: BoardView
  total: number
  onChange: (view: BoardView) => void
}

export function BoardControls({ view, total, onChange }: Props) {
  const pages = Math.max(1, Math.ceil(total / view.pageSize))
  // Any change but paging starts over at page 1.
  const set = (patch: Partial<BoardView>) => onChange({ ...view, page: 1, ...patch })
  return (
    <div className="controls">
      <label>
        sort
        <select
          value={view.sort}
          data-testid="sort"
          onChange={(e) => set({ sort: e.target.value as BoardView['sort'] })}
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        show
        <select
          value={view.status}
          data-testid="filter-status"
          onChange={(e) => set({ status: e.target.value as BoardView['status'] })}
        >
          <option value="all">all</option>
          <option value="open">open</option>
          <option value="done">done</option>
        </select>
      </label>
      <label>
        assignee
        <select
          value={view.assignee}
          data-testid="filter-assignee"
          onChange={(e) => set({ assignee: e.target.value })}
        >
          <option value="">anyone</option>
          {['Alice', 'Bob', 'Carol', 'Dave', ...paneNames]
            .filter((n, i, all) => all.indexOf(n) === i)
            .map((n) => (
              <option key={n}>{n}</option>
            ))}
        </select>
      </label>
      <label>
        per page
        <select
          value={view.pageSize}
          data-testid="page-size"
          onChange={(e) => set({ pageSize: Number(e.target.value) })}
        >
          {[5, 8, 20, 50].map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </label>
      <span className="pager">
        <button
          type="button"
          data-testid="page-prev"
          disabled={view.page <= 1}
          onClick={() => onChange({ ...view, page: view.page - 1 })}
        >
          ‹
        </button>
        <span data-testid="page-info">
          page {Math.min(view.page, pages)} / {pages}
        </span>
        <button
          type="button"
          data-testid="page-next"
          disabled={view.page >= pages}
          onClick={() => onChange({ ...view, page: view.page + 1 })}
        >
          ›
        </button>
      </span>
      <span className="total" data-testid="total">
        {total} tasks
      </span>
    </div>
  )
}
