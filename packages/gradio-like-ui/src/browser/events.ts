// The server's events (Server-Sent Events): a snapshot, then every job and upload change.
import type { EventMap, JobView } from '../api-types'
import { $ } from './dom'
import { syncUploads } from './files'
import { showInterrupted } from './interrupted'
import { renderJob } from './job-panel'
import { renderQueue, selectJob } from './queue'
import { forgetJob, resetResult } from './results'
import { state } from './state'

function onEvent<K extends keyof EventMap>(events: EventSource, name: K, handle: (data: EventMap[K]) => void): void {
  events.addEventListener(name, (event) => handle(JSON.parse((event as MessageEvent<string>).data) as EventMap[K]))
}

function keep(job: JobView): void {
  state.jobs.set(job.id, job)
  state.receivedAt.set(job.id, Date.now())
}

export function connect(): void {
  const events = new EventSource('/api/events')
  const banner = $('connection')
  onEvent(events, 'snapshot', ({ jobs, uploads, interrupted }) => {
    state.jobs = new Map()
    for (const job of jobs) keep(job)
    if (!state.selectedJob || !state.jobs.has(state.selectedJob)) state.selectedJob = jobs.at(-1)?.id
    resetResult()
    syncUploads(uploads)
    showInterrupted(interrupted)
    renderQueue()
    renderJob()
    banner.hidden = true
  })
  onEvent(events, 'job', (job) => {
    keep(job)
    state.selectedJob ??= job.id
    renderQueue()
    if (job.id === state.selectedJob) renderJob()
  })
  onEvent(events, 'removed', ({ id }) => {
    state.jobs.delete(id)
    forgetJob(id)
    if (state.selectedJob === id) selectJob([...state.jobs.keys()].at(-1))
    else renderQueue()
  })
  onEvent(events, 'uploads', ({ uploads }) => syncUploads(uploads))
  onEvent(events, 'interrupted', showInterrupted)
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.OPEN) return
    banner.textContent = 'Lost the connection to the server; reconnecting…'
    banner.hidden = false
  })
}
