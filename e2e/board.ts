import { expect, type Locator } from '@playwright/test'

/** Page-object helpers for one client pane of the playground. */

export function row(pane: Locator, title: string): Locator {
  return pane.locator(`[data-testid="task-row"][data-title="${title}"]`)
}

export function rowById(pane: Locator, id: string): Locator {
  return pane.locator(`[data-testid="task-row"][data-id="${id}"]`)
}

export async function idOf(pane: Locator, title: string): Promise<string> {
  const id = await row(pane, title).getAttribute('data-id')
  if (!id) throw new Error(`no task “${title}”`)
  return id
}

/** Visible task titles, in list order. */
export function titles(pane: Locator): Promise<string[]> {
  return pane
    .getByTestId('task-row')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.title ?? ''))
}

export async function createTask(pane: Locator, title: string): Promise<void> {
  await pane.getByTestId('new-title').fill(title)
  await pane.getByTestId('new-submit').click()
  await expect(row(pane, title)).toHaveCount(1)
}

export async function setSort(pane: Locator, sort: string): Promise<void> {
  await pane.getByTestId('sort').selectOption(sort)
}

export async function startEdit(pane: Locator, title: string): Promise<Locator> {
  const r = row(pane, title)
  await r.getByTestId('task-edit').click()
  return r.getByTestId('task-edit-input')
}

export async function rename(pane: Locator, from: string, to: string): Promise<void> {
  const input = await startEdit(pane, from)
  await input.fill(to)
  await row(pane, from).getByTestId('task-save').click()
}

export async function waitIdle(pane: Locator): Promise<void> {
  await expect(pane.getByTestId('pending-count')).toHaveText('0')
}
