// The page: settings, the input list, preview and Upscale, the selected job, the queue.
import type { ConfigView, JobView, PreviewView, UiSettings } from '../api-types'
import { api, type ApiError } from './api'
import { Compare } from './compare'
import { connect } from './events'
import { $, busy, say } from './dom'
import { clearFiles, renderFiles, setUpFiles } from './files'
import { renderJob, setUpJobButtons, tick } from './job-panel'
import { renderQueue, selectJob, setUpQueue } from './queue'
import { showPreview, useCompare } from './results'
import { readSettings, setUpSettings } from './settings-form'
import { state, type FileEntry } from './state'

function readyFiles(): FileEntry[] {
  return state.files.filter((entry) => entry.status === 'ready')
}

/** Why nothing can run yet, or undefined. */
function notReady(ready: FileEntry[], what: string): string | undefined {
  if (ready.length > 0) return undefined
  return state.files.some((entry) => entry.status === 'uploading') ? 'Wait for the uploads to finish.' : `Add ${what} first: drop, choose or paste a file, or try an example.`
}

/** The files and settings to run with, or undefined with what to do first said under the buttons. */
function prepare(what: string): { ready: FileEntry[]; settings: UiSettings } | undefined {
  const ready = readyFiles()
  const problem = notReady(ready, what)
  if (problem) return void say(problem)
  const settings = readSettings()
  if (!settings) {
    say('Fix the Scale first: see the message under it.', 'error')
    $('scale').focus()
    return undefined
  }
  return { ready, settings }
}

async function preview(): Promise<void> {
  const prepared = prepare('an image or a video')
  if (!prepared) return
  const { ready, settings } = prepared
  const target = ready.find((entry) => entry.key === state.selectedFile) ?? ready[0]
  const trigger = $<HTMLButtonElement>('preview-button')
  busy(trigger, true)
  say('')
  try {
    const result = await api<PreviewView>('/api/preview', { method: 'POST', json: { upload: target.id, settings } })
    const region = result.cropped ? `the centre ${result.sourceWidth}×${result.sourceHeight} of ` : ''
    const caption = `Preview of ${region}${result.what}: ${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height} in ${(result.milliseconds / 1000).toFixed(1)} s`
    await showPreview(`preview:${result.id}`, { before: result.before, after: result.after, width: result.width, height: result.height, caption })
  } catch (error) {
    say(`Preview failed: ${(error as Error).message}`, 'error')
  } finally {
    busy(trigger, false)
  }
}

/** Images go into jobs of at most maxFiles; each video into its own job. */
function groups(ready: FileEntry[]): FileEntry[][] {
  const { maxFiles } = state.config.limits
  const images = ready.filter((entry) => entry.kind === 'image')
  const result: FileEntry[][] = []
  for (let i = 0; i < images.length; i += maxFiles) result.push(images.slice(i, i + maxFiles))
  for (const video of ready.filter((entry) => entry.kind === 'video')) result.push([video])
  return result
}

async function run(): Promise<void> {
  const prepared = prepare('images or a video')
  if (!prepared) return
  const { ready, settings } = prepared
  const trigger = $<HTMLButtonElement>('run-button')
  busy(trigger, true)
  say('')
  try {
    for (const group of groups(ready)) {
      const { job } = await api<{ job: JobView }>('/api/jobs', { method: 'POST', json: { uploads: group.map((entry) => entry.id), settings } })
      state.jobs.set(job.id, job)
      state.receivedAt.set(job.id, Date.now())
      for (const entry of group) entry.ranIn = job.id
      selectJob(job.id)
    }
  } catch (error) {
    say(`Could not start the job: ${(error as Error).message}`, 'error')
    pointAt((error as ApiError).setting)
  } finally {
    busy(trigger, false)
    renderFiles()
  }
}

/** Shows and focuses the setting a refusal is about. */
function pointAt(setting: string | undefined): void {
  const control = setting ? document.querySelector<HTMLElement>(`#settings [name="${setting}"]`) : null
  const section = control?.closest('details')
  if (section) section.open = true
  control?.focus()
}

/** "Clear": the inputs, the comparison and the selected job leave the page (jobs stay in the queue). */
async function clear(): Promise<void> {
  say('')
  state.compareKey = ''
  compare.clear()
  selectJob(undefined)
  await clearFiles()
}

let compare: Compare

async function main(): Promise<void> {
  compare = new Compare($('compare'))
  useCompare(compare)
  try {
    state.config = await api<ConfigView>('/api/config')
  } catch (error) {
    say(`Cannot load the settings: ${(error as Error).message}`, 'error')
    return
  }
  setUpSettings()
  setUpFiles()
  setUpJobButtons()
  setUpQueue()
  $('preview-button').addEventListener('click', () => void preview())
  $('run-button').addEventListener('click', () => void run())
  $('clear-button').addEventListener('click', () => void clear())
  setInterval(tick, 1000)
  renderQueue()
  renderJob()
  connect()
  document.body.dataset.ready = 'true'
}

void main()
