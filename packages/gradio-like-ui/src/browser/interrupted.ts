// Interrupted video jobs: they stopped before they finished (the server was stopped or crashed) and
// are kept on disk. Resume queues one again, continuing from its finished segments; Discard deletes it.
import type { InterruptedList, InterruptedView, JobView } from '../api-types'
import { api } from './api'
import { $, busy, button, element, titled } from './dom'
import { formatBytes } from './format'
import { selectJob } from './queue'
import { state } from './state'

/** A message under the list (the list may be empty by then: the block stays while it shows). */
function tell(message: string, kind: 'info' | 'error' = 'info'): void {
  const node = $('interrupted-message')
  node.textContent = message
  node.className = `inline-message ${kind}`
  renderInterrupted()
}

function when(milliseconds: number): string {
  return new Date(milliseconds).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

async function resume(job: InterruptedView, trigger: HTMLButtonElement): Promise<void> {
  busy(trigger, true)
  try {
    const { job: queued } = await api<{ job: JobView }>(`/api/interrupted/${job.id}/resume`, { method: 'POST' })
    state.jobs.set(queued.id, queued)
    state.receivedAt.set(queued.id, Date.now())
    selectJob(queued.id)
    tell(`${job.name} is back in the queue: it continues from its ${job.segmentsDone} finished segments.`)
  } catch (error) {
    tell((error as Error).message, 'error')
  } finally {
    busy(trigger, false)
  }
}

async function discard(job: InterruptedView, trigger: HTMLButtonElement): Promise<void> {
  busy(trigger, true)
  try {
    await api(`/api/interrupted/${job.id}`, { method: 'DELETE' })
    state.interrupted.jobs = state.interrupted.jobs.filter((candidate) => candidate.id !== job.id)
    tell(`Discarded ${job.name}: its kept source video and finished segments were deleted.`)
  } catch (error) {
    tell((error as Error).message, 'error')
  } finally {
    busy(trigger, false)
  }
}

function item(job: InterruptedView): HTMLLIElement {
  const node = element('li')
  node.dataset.interruptedId = job.id
  const facts = element('span', 'interrupted-facts', `${job.segmentsDone} of ${job.segments} segments done · last ran ${when(job.updatedAt)} · ${formatBytes(job.size)}`)
  node.append(titled('video', job.name, 'queue-title'), facts)
  if (job.sourceMissing) node.append(element('span', 'interrupted-missing', 'Its kept source video is gone: it can only be discarded.'))
  const buttons = element('div', 'buttons compact')
  const resumeButton = button('btn secondary', 'Resume', () => void resume(job, resumeButton), `Resume ${job.name}`)
  const discardButton = button('btn ghost', 'Discard', () => void discard(job, discardButton), `Discard ${job.name}`)
  buttons.append(resumeButton, discardButton)
  node.append(buttons)
  return node
}

export function renderInterrupted(): void {
  const { jobs, folder } = state.interrupted
  const message = $('interrupted-message').textContent ?? ''
  $('interrupted-block').hidden = jobs.length === 0 && message === ''
  $('interrupted-note').hidden = jobs.length === 0
  $('interrupted-folder').textContent = folder
  $('interrupted').replaceChildren(...jobs.map(item))
}

/** The server's list (its snapshot, or a change). */
export function showInterrupted(list: InterruptedList): void {
  state.interrupted = list
  renderInterrupted()
}
