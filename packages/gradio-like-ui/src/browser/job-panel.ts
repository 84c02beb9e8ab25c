// The selected job: its state in words, per-stage progress, figures, errors, and its buttons.
import type { JobView } from '../api-types'
import { api } from './api'
import { $, element, icon, say } from './dom'
import { formatSeconds, ordinal } from './format'
import { renderResult } from './results'
import { FINISHED, state } from './state'

const STATE_LABELS: Record<string, string> = { queued: 'Waiting', running: 'Running', paused: 'Paused', stopping: 'Stopping…', done: 'Done', failed: 'Failed', stopped: 'Stopped' }

type Progress = Partial<Record<'decoded' | 'unique' | 'upscaled' | 'encoded' | 'total' | 'done' | 'failed' | 'percent' | 'fps' | 'imagesPerSecond' | 'etaSeconds' | 'duplicates' | 'modelWork', number>>

function progressOf(job: JobView): Progress {
  return (job.progress ?? {}) as Progress
}

/** Paused by the user, with core still finishing the frames in flight. */
export function isPausing(job: JobView): boolean {
  return pauseWanted(job) && job.state === 'running'
}

/** Asked by the server's view, or by a click whose request is still on its way. */
function pauseWanted(job: JobView): boolean {
  return job.pauseRequested || state.pauseSent.has(job.id)
}

export function stateLabel(job: JobView): string {
  return isPausing(job) ? 'Pausing…' : STATE_LABELS[job.state]
}

export function percentOf(job: JobView): number {
  if (job.state === 'done') return 100
  return Math.max(0, Math.min(100, progressOf(job).percent ?? 0))
}

/** The earliest end of the jobs running now, in seconds from now (for a waiting job's expected wait). */
function runningEta(): number | undefined {
  const etas = [...state.jobs.values()].filter((job) => job.state === 'running').map((job) => progressOf(job).etaSeconds)
  const known = etas.filter((eta): eta is number => typeof eta === 'number')
  return known.length ? Math.min(...known) : undefined
}

/** A waiting job's place in line and, when the next to start, the expected wait. */
export function queueNote(job: JobView): string {
  if (job.state !== 'queued' || job.queuePosition === undefined) return ''
  const eta = runningEta()
  const wait = job.queuePosition === 1 && eta !== undefined ? `; starts in about ${formatSeconds(eta)}` : job.queuePosition === 1 ? '; starts when the running job ends' : ''
  return `${ordinal(job.queuePosition)} in line${wait}`
}

/** The job's state in a sentence (what is happening, what was kept, what to do). */
function statusSentence(job: JobView): string {
  if (isPausing(job)) return 'Pausing: the frames already decoded are being finished, then nothing moves.'
  switch (job.state) {
    case 'queued':
      return `Waiting: ${queueNote(job)}.`
    case 'paused':
      return job.kind === 'video' ? 'Paused: nothing is being decoded, upscaled or encoded. Resume continues where it stopped.' : 'Paused: no new image starts (the ones already started finish). Resume continues the batch.'
    case 'running':
      return job.info?.segments?.done ? `Continuing: ${job.info.segments.done} of ${job.info.segments.count} segments were done by an earlier run.` : ''
    case 'stopping':
      return 'Stopping…'
    case 'stopped':
      return 'Stopped: nothing was saved. Retry runs it again with the same files and settings.'
    case 'done':
      return `Done in ${formatSeconds((job.elapsedMs ?? 0) / 1000)}.`
    default:
      return ''
  }
}

/** Rows of [key, label, value, total]; a failed count is text only, not a bar. */
function stageRows(job: JobView): [string, string, number | undefined, number][] {
  const p = progressOf(job)
  if (job.kind === 'video') {
    const total = p.total ?? job.info?.source?.frames ?? 0
    return [
      ['decoded', 'Decoded', p.decoded, total],
      ['unique', 'Unique', p.unique, p.decoded ?? 0],
      ['upscaled', 'Upscaled', p.upscaled, p.unique ?? total],
      ['encoded', 'Encoded', p.encoded, total],
    ]
  }
  return [['images', 'Images', p.done ?? (job.state === 'done' ? job.results.length : 0), p.total ?? job.inputs.length]]
}

function renderStages(job: JobView): void {
  const container = $('job-stages')
  // Waiting, or failed: no bar (a failed job's counts say nothing useful; its error says what happened).
  if (job.state === 'queued' || job.state === 'failed') return container.replaceChildren()
  const rows = stageRows(job)
  if (container.dataset.kind !== job.kind || container.childElementCount === 0) {
    container.dataset.kind = job.kind
    container.replaceChildren(
      ...rows.flatMap(([key, label]) => {
        const bar = element('div', 'bar')
        bar.append(element('span'))
        bar.setAttribute('aria-hidden', 'true')
        const nodes = [element('span', 'stage-name', label), bar, element('span', 'stage-count')]
        for (const node of nodes) node.dataset.stage = key
        return nodes
      }),
    )
  }
  for (const [key, , value, total] of rows) {
    const fill = container.querySelector<HTMLElement>(`.bar[data-stage="${key}"] > span`)!
    const count = container.querySelector<HTMLElement>(`.stage-count[data-stage="${key}"]`)!
    const known = typeof value === 'number'
    count.dataset.value = known ? String(value) : ''
    count.textContent = known ? `${value} / ${total || '?'}` : '—'
    count.title = known || key !== 'unique' ? '' : 'Unique frames are counted when duplicate detection is on'
    fill.style.width = known && total ? `${Math.min(100, (100 * value) / total)}%` : '0%'
  }
}

/** Figures: progress, speed and ETA while it runs (not while paused), elapsed time, model, size. */
function renderStats(job: JobView): void {
  const p = progressOf(job)
  const parts: HTMLElement[] = []
  const add = (label: string, value: string) => {
    const part = element('span', '', `${label} `)
    part.append(element('b', '', value))
    parts.push(part)
  }
  const moving = job.state === 'running' && !isPausing(job)
  if (job.state !== 'queued') add('Progress', `${percentOf(job).toFixed(0)}%`)
  const speed = job.kind === 'video' ? (p.fps ? `${p.fps.toFixed(1)} fps` : undefined) : p.imagesPerSecond ? `${p.imagesPerSecond.toFixed(2)} images/s` : undefined
  if (moving && speed) add('Speed', speed)
  if (moving && typeof p.etaSeconds === 'number') add('ETA', formatSeconds(p.etaSeconds))
  if (typeof p.duplicates === 'number' && p.decoded) add('Duplicates skipped', `${p.duplicates} (${Math.round((100 * p.duplicates) / p.decoded)}%)`)
  // Source pixels that went through the model so far: duplicates and reused tiles spare it.
  if (typeof p.modelWork === 'number' && p.encoded) add('Model work', `${Math.round(100 * p.modelWork)}%`)
  if (job.kind === 'image' && p.failed) add('Failed', `${p.failed} of ${p.total ?? job.inputs.length}`)
  const ticking = job.state === 'running' ? Date.now() - (state.receivedAt.get(job.id) ?? Date.now()) : 0
  if (job.elapsedMs !== undefined) add('Elapsed', formatSeconds((job.elapsedMs + ticking) / 1000))
  if (job.info) {
    add('Model', job.info.model)
    add('Workers', `${job.info.workers} × ${job.info.threads} threads`)
    if (job.info.source) add('Size', `${job.info.source.width}×${job.info.source.height} → ${job.info.outputWidth}×${job.info.outputHeight}`)
  }
  $('job-stats').replaceChildren(...parts)
}

function renderError(job: JobView): void {
  const box = $('job-error')
  box.hidden = !job.error
  box.replaceChildren()
  if (!job.error) return
  box.append(element('div', 'error-message', job.error.message))
  if (job.error.detail) {
    const details = element('details')
    details.append(element('summary', '', 'Details'), element('pre', '', job.error.detail))
    box.append(details)
  }
}

function renderButtons(job: JobView): void {
  const active = job.state === 'running' || job.state === 'paused'
  $('pause-button').hidden = !(job.state === 'running' && !pauseWanted(job))
  $('resume-button').hidden = !(active && pauseWanted(job))
  $('stop-button').hidden = !(active || job.state === 'queued')
  $('retry-button').hidden = !(job.state === 'stopped' || job.state === 'failed')
  $('remove-button').hidden = !FINISHED.includes(job.state)
}

export function renderJob(): void {
  const job = state.selectedJob ? state.jobs.get(state.selectedJob) : undefined
  $('job-block').hidden = !job
  if (!job) {
    $('result-block').hidden = true
    return
  }
  const block = $('job-block')
  block.dataset.jobId = job.id
  block.dataset.state = job.state
  $('job-title').replaceChildren(icon(job.kind), document.createTextNode(` ${job.title}`))
  const badge = $('job-state')
  badge.textContent = stateLabel(job)
  badge.className = `badge ${isPausing(job) ? 'pausing' : job.state}`
  $('job-status').textContent = statusSentence(job)
  renderStages(job)
  renderStats(job)
  renderError(job)
  // A batch that failed because its only image did is said once, in the error box.
  const failures = job.failures.filter((failure) => failure.message !== job.error?.message)
  $('job-failures').replaceChildren(...failures.map((failure) => element('li', '', failure.message)))
  $('job-warnings').replaceChildren(...job.warnings.map((warning) => element('li', '', warning)))
  renderButtons(job)
  renderResult(job)
}

/** The elapsed time of a running job ticks between updates. */
export function tick(): void {
  const job = state.selectedJob ? state.jobs.get(state.selectedJob) : undefined
  if (job?.state === 'running') renderStats(job)
}

async function jobAction(action: 'pause' | 'resume' | 'stop' | 'retry' | 'remove'): Promise<void> {
  const job = state.selectedJob ? state.jobs.get(state.selectedJob) : undefined
  if (!job) return
  // The click is answered at once: "Pausing…" does not wait for the server's reply on a busy machine.
  if (action === 'pause') {
    state.pauseSent.add(job.id)
    renderJob()
  }
  try {
    if (action === 'remove') return void (await api(`/api/jobs/${job.id}`, { method: 'DELETE' }))
    const { job: updated } = await api<{ job: JobView }>(`/api/jobs/${job.id}/${action}`, { method: 'POST' })
    state.jobs.set(updated.id, updated)
    state.receivedAt.set(updated.id, Date.now())
    if (action === 'retry') state.selectedJob = updated.id
    renderJob()
  } catch (error) {
    say((error as Error).message, 'error')
  } finally {
    if (state.pauseSent.delete(job.id)) renderJob()
  }
}

export function setUpJobButtons(): void {
  for (const action of ['pause', 'resume', 'stop', 'retry', 'remove'] as const) $(`${action}-button`).addEventListener('click', () => void jobAction(action))
}
