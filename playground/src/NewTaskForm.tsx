import { useState } from 'react'
import { useMutation } from 'livecrud/react'
import { describeError } from './describeError.js'
import { usePane } from './PaneContext.js'
import { sampleTasks } from './samples.js'
import { PRIORITY_LABELS, TASKS, type Task } from './tasks.js'

export function NewTaskForm() {
  const { name } = usePane()
  const { post, error } = useMutation<Task>(TASKS)
  const [title, setTitle] = useState('')
  const [priority, setPriority] = useState(2)
  return (
    <form
      className="new-task"
      onSubmit={(e) => {
        e.preventDefault()
        const trimmed = title.trim()
        if (!trimmed) return
        setTitle('')
        // Optimistic: the row appears at once, marked pending until the server acks it.
        void post({
          title: trimmed,
          done: false,
          priority,
          assignee: name,
          createdAt: new Date().toISOString(),
        })
      }}
    >
      <input
        value={title}
        placeholder="New task…"
        maxLength={200}
        data-testid="new-title"
        onChange={(e) => setTitle(e.target.value)}
      />
      <select
        value={priority}
        aria-label="new task priority"
        data-testid="new-priority"
        onChange={(e) => setPriority(Number(e.target.value))}
      >
        {Object.entries(PRIORITY_LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
      <button type="submit" data-testid="new-submit">
        Add
      </button>
      <button
        type="button"
        data-testid="add-samples"
        title="Create 10 random tasks"
        onClick={() => {
          for (const task of sampleTasks(10)) void post(task)
        }}
      >
        +10 samples
      </button>
      {error && (
        <div className="error" data-testid="new-error">
          could not create: {describeError(error)}
        </div>
      )}
    </form>
  )
}
