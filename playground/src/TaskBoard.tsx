import { useMemo, useState } from 'react'
import { BoardControls } from './BoardControls.js'
import { describeError } from './describeError.js'
import { NewTaskForm } from './NewTaskForm.js'
import { TaskRow } from './TaskRow.js'
import { DEFAULT_VIEW, TASKS, toListQuery, useItemIds } from './tasks.js'

export function TaskBoard() {
  const [view, setView] = useState(DEFAULT_VIEW)
  const query = useMemo(() => toListQuery(view), [view])
  // Ids only: a change to one task re-renders its row, not the list.
  const { ids, total, status, error, fromCache } = useItemIds(TASKS, query)
  return (
    <div className="board">
      <NewTaskForm />
      <BoardControls view={view} total={total} onChange={setView} />
      <p className="muted source">
        data from{' '}
        <span className={`badge ${fromCache ? 'cache' : 'server'}`} data-testid="list-source">
          {fromCache ? 'cache' : 'server'}
        </span>
      </p>
      <ul className="tasks" data-testid="task-list" data-status={status}>
        {ids.map((id) => (
          <TaskRow key={id} id={id} />
        ))}
      </ul>
      {status === 'success' && ids.length === 0 && <p className="empty">No tasks here.</p>}
      {status === 'pending' && <p className="empty">Loading…</p>}
      {error && (
        <p className="error" data-testid="list-error">
          {describeError(error)}
        </p>
      )}
    </div>
  )
}
