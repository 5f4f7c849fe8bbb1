import { useState } from 'react'
import { LivecrudError } from 'livecrud'
import { describeError } from './describeError.js'
import {
  PRIORITIES,
  PRIORITY_LABELS,
  TASKS,
  useItem,
  useMutation,
  type Priority,
  type Task,
} from './tasks.js'

interface Conflict {
  mine: string
  server: Task | undefined
}

/** One task, read from the store by id: only this row re-renders when the task changes. */
export function TaskRow({ id }: { id: string }) {
  const { data: task, isPending, error: loadError } = useItem(TASKS, id)
  // The hook keeps the last failed write as `error`; unawaited promises are safe to drop.
  const { patch, remove, error: writeError, reset } = useMutation(TASKS)
  const [draft, setDraft] = useState<{ title: string; baseVersion: number } | null>(null)
  const [conflict, setConflict] = useState<Conflict | null>(null)
  if (!task) return null
  // Conflicts get their own banner (with the server's winner) rather than an error line.
  const shown = writeError ?? loadError
  const error = shown?.code === 'CONFLICT' ? null : shown

  const save = () => {
    if (!draft) return
    const mine = draft.title.trim()
    setDraft(null)
    if (!mine || mine === task.title) return
    setConflict(null)
    // ifVersion = the version the user started editing from: a concurrent edit makes this a CONFLICT.
    patch({ id, title: mine }, { ifVersion: draft.baseVersion }).catch((e: unknown) => {
      if (!(e instanceof LivecrudError && e.code === 'CONFLICT')) return
      // The server's winner comes with the error; the store has adopted it already.
      setConflict({ mine, server: (e.details as { current?: Task } | undefined)?.current })
    })
  }

  return (
    <li
      className={`task${task.done ? ' done' : ''}${isPending ? ' pending' : ''}`}
      data-testid="task-row"
      data-id={id}
      data-title={task.title}
    >
      <input
        type="checkbox"
        checked={task.done}
        aria-label="done"
        data-testid="task-done"
        onChange={(e) => void patch({ id, done: e.target.checked })}
      />
      {draft ? (
        <form
          className="edit"
          onSubmit={(e) => {
            e.preventDefault()
            save()
          }}
        >
          <input
            autoFocus
            value={draft.title}
            data-testid="task-edit-input"
            onChange={(e) => setDraft({ ...draft, title: e.target.value })}
          />
          <button type="submit" data-testid="task-save">
            Save
          </button>
          <button type="button" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <span className="title" data-testid="task-title">
          {task.title}
        </span>
      )}
      <select
        value={task.priority}
        aria-label="priority"
        data-testid="task-priority"
        onChange={(e) => void patch({ id, priority: Number(e.target.value) as Priority })}
      >
        {PRIORITIES.map((value) => (
          <option key={value} value={value}>
            {PRIORITY_LABELS[value]}
          </option>
        ))}
      </select>
      <span className="assignee">{task.assignee}</span>
      <span className="version" data-testid="task-version" title="server version">
        {task._version > 0 ? `v${task._version}` : 'new'}
      </span>
      {isPending && (
        <span className="badge pending" data-testid="task-pending">
          pending
        </span>
      )}
      {!draft && (
        <button
          type="button"
          data-testid="task-edit"
          onClick={() => setDraft({ title: task.title, baseVersion: task._version })}
        >
          Edit
        </button>
      )}
      <button type="button" data-testid="task-delete" onClick={() => void remove(id)}>
        Delete
      </button>
      {conflict && (
        <div className="conflict" data-testid="task-conflict">
          Conflict: your “{conflict.mine}” lost; the server kept “
          {conflict.server?.title ?? 'a deleted task'}”
          {conflict.server ? ` (v${conflict.server._version})` : ''}.
          <button
            type="button"
            data-testid="conflict-dismiss"
            onClick={() => {
              setConflict(null)
              reset()
            }}
          >
            OK
          </button>
        </div>
      )}
      {error && (
        <div className="error" data-testid="task-error">
          {describeError(error)}
        </div>
      )}
    </li>
  )
}
