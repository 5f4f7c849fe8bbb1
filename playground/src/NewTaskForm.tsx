import { useState } from 'react'
import { ValidationError } from 'livecrud'
import { describeError } from './describeError.js'
import { usePane } from './PaneContext.js'
import { sampleTasks } from './samples.js'
import { PRIORITIES, PRIORITY_LABELS, TASKS, useMutation, type Priority } from './tasks.js'

export function NewTaskForm() {
  const { name } = usePane()
  const { post, error, reset } = useMutation(TASKS)
  const [title, setTitle] = useState('')
  const [priority, setPriority] = useState<Priority>(2)
  // The schema's refusal, shown at the field; any other failure below the form.
  const invalid = error instanceof ValidationError ? error.issues : null
  return (
    <form
      className="new-task"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        setTitle('')
        // Optimistic: the row appears at once, marked pending until the server acks it. The
        // collection's schema checks it first: an invalid task is refused before anything is
        // applied or sent, and its title stays in the field to fix.
        post({ title, priority, assignee: name, createdAt: new Date().toISOString() }).catch(
          (err: unknown) => {
            if (err instanceof ValidationError) setTitle(title)
          },
        )
      }}
    >
      <input
        value={title}
        placeholder="New task…"
        data-testid="new-title"
        aria-invalid={invalid ? true : undefined}
        onChange={(e) => {
          setTitle(e.target.value)
          if (error) reset()
        }}
      />
      <select
        value={priority}
        aria-label="new task priority"
        data-testid="new-priority"
        onChange={(e) => setPriority(Number(e.target.value) as Priority)}
      >
        {PRIORITIES.map((value) => (
          <option key={value} value={value}>
            {PRIORITY_LABELS[value]}
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
      {invalid && (
        <div className="error" role="alert" data-testid="new-invalid">
          {invalid.map((issue) => issue.message).join('; ')}
        </div>
      )}
      {error && !invalid && (
        <div className="error" data-testid="new-error">
          could not create: {describeError(error)}
        </div>
      )}
    </form>
  )
}
