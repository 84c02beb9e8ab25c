// The input list: uploads (picked, dropped or pasted), the examples, and the uploads the server
// already holds (after a reload). A file stays after a run, to try other settings on it.
import type { UploadView } from '../api-types'
import { ApiError, api, uploadFile } from './api'
import { $, button, element, icon, say } from './dom'
import { formatBytes } from './format'
import { newFileKey, state, type FileEntry } from './state'

/** This page among others on the same server (tabs, machines): its upload keys are its own. */
const PAGE_ID = Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, '0')).join('')

/** The key an entry's upload carries (X-Upload-Key), and the server echoes in the uploads event. */
function uploadKeyOf(entry: FileEntry): string {
  return `${PAGE_ID}-${entry.key}`
}

function readyEntry(upload: UploadView): FileEntry {
  return { key: newFileKey(), name: upload.name, size: upload.size, status: 'ready', progress: 1, id: upload.id, kind: upload.kind, label: upload.label }
}

/** Files already run are replaced by new ones, as a new input replaces the old in Gradio. */
function dropFilesAlreadyRun(): void {
  for (const entry of state.files.filter((candidate) => candidate.ranIn)) removeFile(entry)
}

function ready(entry: FileEntry, upload: UploadView): void {
  // The server's list may have announced it already (an event can outrun the answer).
  const twin = state.files.find((candidate) => candidate !== entry && candidate.id === upload.id)
  if (twin) state.files = state.files.filter((candidate) => candidate !== twin)
  Object.assign(entry, readyEntry(upload), { key: entry.key, abort: undefined })
  state.selectedFile ??= entry.key
}

function startUpload(entry: FileEntry, file: File): void {
  let lastDraw = 0
  const { done, abort } = uploadFile(file, uploadKeyOf(entry), (share) => {
    entry.progress = share
    if (performance.now() - lastDraw > 100) {
      lastDraw = performance.now()
      renderFiles()
    }
  })
  entry.abort = abort
  void done
    .then(
      (upload) => ready(entry, upload),
      (error: ApiError) => Object.assign(entry, { status: 'error', error: error.message, abort: undefined }),
    )
    .finally(renderFiles)
}

/** Adds files the user gave (picked, dropped or pasted): each uploads at once. */
export function addFiles(files: File[]): void {
  if (files.length === 0) return
  dropFilesAlreadyRun()
  const { maxFiles, maxUploadBytes } = state.config.limits
  for (const file of files) {
    const entry: FileEntry = { key: newFileKey(), name: file.name || 'pasted image', size: file.size, status: 'uploading', progress: 0 }
    state.files.push(entry)
    if (state.files.filter((candidate) => candidate.status !== 'error').length > maxFiles) Object.assign(entry, { status: 'error', error: `Too many files: at most ${maxFiles} at once` })
    else if (file.size > maxUploadBytes) Object.assign(entry, { status: 'error', error: `Larger than the upload limit of ${formatBytes(maxUploadBytes)}` })
    else startUpload(entry, file)
  }
  say('')
  renderFiles()
}

async function addExample(id: string, trigger: HTMLButtonElement): Promise<void> {
  dropFilesAlreadyRun()
  trigger.disabled = true
  const entry: FileEntry = { key: newFileKey(), name: trigger.textContent ?? id, size: 0, status: 'uploading', progress: 0 }
  state.files.push(entry)
  renderFiles()
  try {
    ready(entry, await api<UploadView>(`/api/examples/${id}`, { method: 'POST' }))
  } catch (error) {
    Object.assign(entry, { status: 'error', error: (error as Error).message })
  } finally {
    trigger.disabled = false
    renderFiles()
  }
}

function removeFile(entry: FileEntry): void {
  entry.abort?.()
  if (entry.status === 'ready') void api(`/api/uploads/${entry.id}`, { method: 'DELETE' }).catch(() => undefined)
  state.files = state.files.filter((candidate) => candidate !== entry)
  if (state.selectedFile === entry.key) state.selectedFile = state.files.find((candidate) => candidate.status === 'ready')?.key
  renderFiles()
}

/** "Clear": every file goes, here and on the server. */
export async function clearFiles(): Promise<void> {
  for (const entry of state.files) entry.abort?.()
  state.files = []
  state.selectedFile = undefined
  renderFiles()
  await api('/api/uploads', { method: 'DELETE' }).catch(() => undefined)
}

/** The server's list of uploads (snapshot or change): uploads made elsewhere appear, expired ones go. */
export function syncUploads(uploads: UploadView[]): void {
  const ids = new Set(uploads.map((upload) => upload.id))
  state.files = state.files.filter((entry) => entry.status !== 'ready' || ids.has(entry.id!))
  // An upload of this page whose answer has not come yet is not one made elsewhere: appended here, it
  // would leave its place in the list (and in the job, if Run came first).
  const ownInFlight = (upload: UploadView) => upload.uploadKey !== undefined && state.files.some((entry) => entry.status === 'uploading' && uploadKeyOf(entry) === upload.uploadKey)
  for (const upload of uploads) if (!state.files.some((entry) => entry.id === upload.id) && !ownInFlight(upload)) state.files.push(readyEntry(upload))
  if (!state.files.some((entry) => entry.key === state.selectedFile)) state.selectedFile = state.files.find((entry) => entry.status === 'ready')?.key
  renderFiles()
}

function fileItem(entry: FileEntry): HTMLLIElement {
  const item = element('li', entry.status)
  item.dataset.status = entry.status
  item.setAttribute('aria-current', String(entry.key === state.selectedFile))
  const pick = button('file-pick', '', () => {
    state.selectedFile = entry.key
    renderFiles()
  })
  pick.disabled = entry.status !== 'ready'
  pick.title = 'Use this file for "Test first frame"'
  pick.append(icon(entry.kind ?? 'file'), element('span', 'file-name', entry.name))
  if (entry.status === 'uploading') {
    const bar = element('span', 'mini-bar')
    const fill = element('span')
    fill.style.width = `${Math.round(entry.progress * 100)}%`
    bar.append(fill)
    pick.append(bar)
  } else if (entry.status === 'ready') {
    const notes = [entry.label, formatBytes(entry.size), entry.ranIn ? 'upscaled' : '', entry.key === state.selectedFile ? 'preview' : ''].filter(Boolean)
    pick.append(element('span', 'file-meta', notes.join(' · ')))
  }
  item.append(pick, button('icon-button', '×', () => removeFile(entry), `Remove ${entry.name}`))
  if (entry.status === 'error') item.append(element('span', 'file-error', entry.error))
  return item
}

export function renderFiles(): void {
  $('file-list').replaceChildren(...state.files.map(fileItem))
}

function filesOf(data: DataTransfer | null): File[] {
  return [...(data?.files ?? [])]
}

/** Drop, pick, paste, and the example buttons. */
export function setUpFiles(): void {
  const drop = $('drop')
  const input = $<HTMLInputElement>('file-input')
  input.addEventListener('change', () => {
    addFiles([...(input.files ?? [])])
    input.value = ''
  })
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => {
      event.preventDefault()
      drop.classList.add('dragging')
    })
  }
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('dragging'))
  drop.addEventListener('drop', (event) => {
    event.preventDefault()
    addFiles(filesOf(event.dataTransfer))
  })
  // A file dropped anywhere else must not navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault())
  window.addEventListener('drop', (event) => event.preventDefault())
  // Ctrl+V with a copied picture or file; text pasted into a field stays text.
  document.addEventListener('paste', (event) => {
    const files = filesOf(event.clipboardData)
    if (files.length === 0) return
    event.preventDefault()
    addFiles(files)
  })
  const examples = $('examples')
  for (const example of state.config.examples) {
    const trigger = button('example', example.title, () => void addExample(example.id, trigger))
    trigger.dataset.example = example.id
    trigger.title = example.description
    examples.append(trigger)
  }
  const { maxFiles, maxUploadBytes, maxConcurrentJobs } = state.config.limits
  $('limits-hint').textContent = `PNG, JPEG, WebP, AVIF, GIF or TIFF images (up to ${maxFiles}), or videos; at most ${formatBytes(maxUploadBytes)} each. ${maxConcurrentJobs === 1 ? 'One job runs at a time' : `${maxConcurrentJobs} jobs run at once`}; others wait in the queue.`
}
