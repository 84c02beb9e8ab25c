// The queue: every job, each a button that selects it, with its place in line or progress.
import type { JobView } from '../api-types'
import { api } from './api'
import { $, button, element, say, titled } from './dom'
import { percentOf, queueNote, renderJob, stateLabel, isPausing } from './job-panel'
import { resetResult } from './results'
import { FINISHED, state } from './state'

export function selectJob(id: string | undefined): void {
  state.selectedJob = id
  resetResult()
  renderQueue()
  renderJob()
}

function queueItem(job: JobView): HTMLLIElement {
  const item = element('li')
  item.dataset.jobId = job.id
  item.dataset.state = job.state
  item.setAttribute('aria-current', String(job.id === state.selectedJob))
  const pick = button('queue-pick', '', () => selectJob(job.id))
  const label = stateLabel(job)
  const percent = job.state === 'queued' || job.state === 'failed' ? '' : `${percentOf(job).toFixed(0)}%`
  pick.append(titled(job.kind, job.title, 'queue-title'), element('span', `badge ${isPausing(job) ? 'pausing' : job.state}`, label), element('span', 'queue-percent', percent))
  if (job.state === 'queued') pick.append(element('span', 'queue-note', queueNote(job)))
  else if (job.state !== 'failed') {
    const bar = element('span', 'bar')
    const fill = element('span')
    fill.style.width = `${percentOf(job)}%`
    bar.append(fill)
    pick.append(bar)
  }
  item.append(pick)
  if (FINISHED.includes(job.state)) item.append(button('icon-button', '×', () => void api(`/api/jobs/${job.id}`, { method: 'DELETE' }).catch((error: Error) => say(error.message, 'error')), `Remove ${job.title}`))
  return item
}

export function renderQueue(): void {
  const jobs = [...state.jobs.values()].sort((a, b) => a.createdAt - b.createdAt)
  $('queue-empty').hidden = jobs.length > 0
  $('clear-finished-button').hidden = !jobs.some((job) => FINISHED.includes(job.state))
  $('queue').replaceChildren(...jobs.map(queueItem))
}

export function setUpQueue(): void {
  $('clear-finished-button').addEventListener('click', () => void api('/api/jobs', { method: 'DELETE' }).catch((error: Error) => say(error.message, 'error')))
}
