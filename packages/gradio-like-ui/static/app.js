// The page: uploads, settings (kept in localStorage), preview, the job queue (SSE), results.
import { Compare } from './compare.js'

const STORAGE_KEY = 'anime-upscaler-ui:settings'
const STATE_LABELS = { queued: 'Waiting', running: 'Running', paused: 'Paused', stopping: 'Stopping…', done: 'Done', failed: 'Failed', stopped: 'Stopped' }
const FINISHED = ['done', 'failed', 'stopped']

const $ = (id) => document.getElementById(id)
const state = {
  config: undefined,
  files: [],
  selectedFile: undefined,
  jobs: new Map(),
  selectedJob: undefined,
  resultKey: '',
  compareKey: '',
  selectedResult: {},
}
let compare
let nextFileKey = 1

// ---------- small helpers

function element(tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

const ICONS = {
  image: ['M5 4h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z', 'M7 10a2 2 0 1 0 4 0a2 2 0 1 0-4 0', 'M21 16l-5-5-9 9'],
  video: ['M5 4h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z', 'M7 4v16M17 4v16M3 9h4M3 15h4M17 9h4M17 15h4'],
  file: ['M13 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V9z', 'M13 3v6h6'],
  download: ['M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3M8 11l4 4 4-4M12 15V4'],
}

/** A small line icon (SVG: no emoji font needed). */
function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', 'icon')
  svg.setAttribute('aria-hidden', 'true')
  for (const d of ICONS[name]) {
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  return svg
}

function titled(kind, text, className) {
  const node = element('span', className)
  node.append(icon(kind), document.createTextNode(` ${text}`))
  return node
}

async function api(path, { method = 'GET', json } = {}) {
  const init = { method, headers: {} }
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json'
    init.body = JSON.stringify(json)
  }
  let response
  try {
    response = await fetch(path, init)
  } catch {
    throw new Error('The server cannot be reached: is it still running?')
  }
  if (response.status === 204) return null
  const body = await response.json().catch(() => ({}))
  if (!response.ok) {
    const error = new Error(body.error || `The server answered ${response.status}`)
    error.detail = body.detail
    throw error
  }
  return body
}

function toast(message, kind = 'error', title) {
  const node = element('div', `toast ${kind}`)
  node.setAttribute('role', kind === 'error' ? 'alert' : 'status')
  if (title) node.append(element('strong', '', title))
  node.append(document.createTextNode(message))
  node.addEventListener('click', () => node.remove())
  $('toasts').append(node)
  setTimeout(() => node.remove(), kind === 'error' ? 10000 : 5000)
}

function formatBytes(bytes) {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`
  return `${bytes} B`
}

function formatSeconds(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—'
  const total = Math.round(seconds)
  if (total < 60) return `${total} s`
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = String(total % 60).padStart(2, '0')
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`
}

/** Links to download the job's outputs. */
function downloadLinks(job) {
  const downloads = element('div', 'downloads')
  for (const download of job.downloads) {
    const link = element('a', 'download')
    link.append(icon('download'), document.createTextNode(` ${download.name}`))
    link.href = fileUrl(job, download.file, true)
    link.setAttribute('download', download.name)
    downloads.append(link)
  }
  return downloads
}

function fileUrl(job, name, download = false) {
  return `/api/jobs/${job.id}/files/${encodeURIComponent(name)}${download ? '?download=1' : ''}`
}

function busy(button, on) {
  button.disabled = on
  button.classList.toggle('busy', on)
}

// ---------- settings

function fillSelect(select, values, label = (value) => value) {
  select.replaceChildren(
    ...values.map((value) => {
      const option = element('option', '', label(value))
      option.value = value
      return option
    }),
  )
}

function radioValue(name) {
  return document.querySelector(`input[name="${name}"]:checked`)?.value
}

function setRadio(name, value) {
  const input = document.querySelector(`input[name="${name}"][value="${value}"]`)
  if (input) input.checked = true
}

function numberOrUndefined(input) {
  return input.value === '' ? undefined : Number(input.value)
}

function readSettings() {
  return {
    model: $('model').value,
    sizeMode: radioValue('sizeMode'),
    scale: Number($('scale').value),
    width: numberOrUndefined($('width')),
    height: numberOrUndefined($('height')),
    tile: $('tile').value === '' ? 'auto' : Number($('tile').value),
    workers: $('workers-auto').checked ? 'auto' : Number($('workers').value),
    processing: radioValue('processing'),
    dedup: {
      detector: radioValue('detector'),
      hi: numberOrUndefined($('dedup-hi')),
      lo: numberOrUndefined($('dedup-lo')),
      frac: numberOrUndefined($('dedup-frac')),
      hashDistance: numberOrUndefined($('dedup-hash-distance')),
      maxRun: numberOrUndefined($('dedup-max-run')),
    },
    codec: $('codec').value,
    crf: numberOrUndefined($('crf')),
    preset: $('preset').value,
    container: $('container').value,
    audio: $('audio').value,
    imageFormat: $('image-format').value,
    quality: numberOrUndefined($('quality')),
  }
}

function setValue(input, value) {
  input.value = value === undefined || value === null || value === 'auto' ? '' : String(value)
}

function setSelect(select, value) {
  if ([...select.options].some((option) => option.value === value)) select.value = value
}

function applySettings(settings) {
  setSelect($('model'), settings.model)
  setRadio('sizeMode', settings.sizeMode)
  $('scale').value = String(settings.scale)
  setValue($('width'), settings.width)
  setValue($('height'), settings.height)
  setValue($('tile'), settings.tile)
  $('workers-auto').checked = settings.workers === 'auto'
  if (settings.workers !== 'auto') $('workers').value = String(settings.workers)
  setRadio('processing', settings.processing)
  setRadio('detector', settings.dedup?.detector ?? 'default')
  setValue($('dedup-hi'), settings.dedup?.hi)
  setValue($('dedup-lo'), settings.dedup?.lo)
  setValue($('dedup-frac'), settings.dedup?.frac)
  setValue($('dedup-hash-distance'), settings.dedup?.hashDistance)
  setValue($('dedup-max-run'), settings.dedup?.maxRun)
  setSelect($('codec'), settings.codec)
  setValue($('crf'), settings.crf)
  setSelect($('preset'), settings.preset)
  setSelect($('container'), settings.container)
  setSelect($('audio'), settings.audio)
  setSelect($('image-format'), settings.imageFormat)
  setValue($('quality'), settings.quality)
  syncForm()
}

function loadSettings() {
  const defaults = state.config.defaults
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null')
    if (saved && typeof saved === 'object') return { ...defaults, ...saved, dedup: { ...defaults.dedup, ...(saved.dedup ?? {}) } }
  } catch {
    // Unreadable: start from the defaults.
  }
  return defaults
}

function saveSettings() {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(readSettings()))
  } catch {
    // Storage full or disabled: settings are simply not remembered.
  }
}

function syncForm() {
  const bySize = radioValue('sizeMode') === 'size'
  $('scale-field').hidden = bySize
  $('size-fields').hidden = !bySize
  $('scale-number').value = $('scale').value
  const auto = $('workers-auto').checked
  $('workers').disabled = auto
  $('workers-value').textContent = auto ? 'auto' : $('workers').value
  const model = state.config.models.find((m) => m.id === $('model').value)
  $('model-info').textContent = model ? model.description : ''
  const detector = radioValue('detector')
  $('dedup-default-fields').hidden = detector !== 'default'
  $('dedup-hash-field').hidden = detector !== 'hash'
  $('dedup-max-run-field').hidden = detector === 'off'
  const lossless = $('codec').value === 'ffv1'
  $('crf').disabled = lossless
  $('preset').disabled = lossless
}

function setUpSettings() {
  const config = state.config
  fillSelect($('model'), config.models.map((m) => m.id), (id) => (id === config.defaultModel ? `${id} (default)` : id))
  fillSelect($('codec'), config.codecs)
  fillSelect($('container'), config.containers, (value) => (value === 'auto' ? 'auto (from codec)' : value))
  fillSelect($('preset'), config.presets)
  fillSelect($('audio'), config.audio, (value) => ({ copy: 'copy (keep)', none: 'none (drop)', libopus: 'opus' })[value] ?? value)
  fillSelect($('image-format'), config.imageFormats, (value) => (value === 'same' ? 'same as input' : value))
  $('workers').max = String(Math.max(2, config.cores))
  const { maxFiles, maxUploadBytes, maxConcurrentJobs } = config.limits
  $('limits-hint').textContent = `PNG, JPEG, WebP, AVIF, GIF or TIFF images (up to ${maxFiles}), or a video; at most ${formatBytes(maxUploadBytes)} each. ${maxConcurrentJobs === 1 ? 'One job runs at a time' : `${maxConcurrentJobs} jobs run at once`}; others wait in the queue.`
  applySettings(loadSettings())

  const form = $('settings')
  form.addEventListener('submit', (event) => event.preventDefault())
  form.addEventListener('input', (event) => {
    if (event.target === $('scale-number')) $('scale').value = $('scale-number').value
    syncForm()
    saveSettings()
  })
  form.addEventListener('change', () => {
    syncForm()
    saveSettings()
  })
}

// ---------- files

function addFiles(fileList) {
  const { maxFiles, maxUploadBytes } = state.config.limits
  for (const file of fileList) {
    const entry = { key: nextFileKey++, name: file.name, size: file.size, status: 'uploading', progress: 0 }
    state.files.push(entry)
    if (state.files.filter((f) => f.status !== 'error').length > maxFiles) {
      entry.status = 'error'
      entry.error = `Too many files: at most ${maxFiles} at once`
    } else if (file.size > maxUploadBytes) {
      entry.status = 'error'
      entry.error = `Larger than the upload limit of ${formatBytes(maxUploadBytes)}`
    } else {
      upload(entry, file)
    }
  }
  renderFiles()
}

function upload(entry, file) {
  const xhr = new XMLHttpRequest()
  entry.xhr = xhr
  xhr.open('POST', '/api/uploads')
  xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name))
  xhr.setRequestHeader('Content-Type', 'application/octet-stream')
  let lastDraw = 0
  xhr.upload.addEventListener('progress', (event) => {
    entry.progress = event.lengthComputable ? event.loaded / event.total : 0
    if (performance.now() - lastDraw > 100) {
      lastDraw = performance.now()
      renderFiles()
    }
  })
  xhr.addEventListener('load', () => {
    let body = {}
    try {
      body = JSON.parse(xhr.responseText)
    } catch {
      // Not JSON: the status says enough.
    }
    entry.xhr = undefined
    if (xhr.status === 201) {
      Object.assign(entry, { status: 'ready', id: body.id, kind: body.kind, label: body.label, name: body.name })
      if (!state.selectedFile) state.selectedFile = entry.key
    } else {
      entry.status = 'error'
      entry.error = body.error || `The upload was refused (${xhr.status})`
      toast(entry.error, 'error', `Cannot use ${entry.name}`)
    }
    renderFiles()
  })
  xhr.addEventListener('error', () => {
    entry.xhr = undefined
    entry.status = 'error'
    entry.error = 'The upload failed: is the server still running?'
    renderFiles()
  })
  xhr.send(file)
}

function removeFile(entry) {
  entry.xhr?.abort()
  if (entry.status === 'ready') void api(`/api/uploads/${entry.id}`, { method: 'DELETE' }).catch(() => undefined)
  state.files = state.files.filter((f) => f !== entry)
  if (state.selectedFile === entry.key) state.selectedFile = state.files.find((f) => f.status === 'ready')?.key
  renderFiles()
}

function renderFiles() {
  const list = $('file-list')
  list.replaceChildren(
    ...state.files.map((entry) => {
      const item = element('li', entry.status)
      item.dataset.status = entry.status
      item.setAttribute('aria-selected', String(entry.key === state.selectedFile))
      item.title = entry.status === 'ready' ? 'Click to use this file for "Test first frame"' : ''
      item.append(icon(entry.kind === 'video' ? 'video' : entry.kind === 'image' ? 'image' : 'file'), element('span', 'file-name', entry.name))
      if (entry.status === 'uploading') {
        const bar = element('span', 'mini-bar')
        const fill = element('span')
        fill.style.width = `${Math.round(entry.progress * 100)}%`
        bar.append(fill)
        item.append(bar)
      } else if (entry.status === 'ready') {
        item.append(element('span', 'file-meta', `${entry.label} · ${formatBytes(entry.size)}${entry.key === state.selectedFile ? ' · preview' : ''}`))
      }
      const remove = element('button', 'icon-button', '×')
      remove.type = 'button'
      remove.setAttribute('aria-label', `Remove ${entry.name}`)
      remove.addEventListener('click', (event) => {
        event.stopPropagation()
        removeFile(entry)
      })
      item.append(remove)
      if (entry.status === 'error') item.append(element('span', 'file-error', entry.error))
      item.addEventListener('click', () => {
        if (entry.status !== 'ready') return
        state.selectedFile = entry.key
        renderFiles()
      })
      return item
    }),
  )
}

function setUpDrop() {
  const drop = $('drop')
  const input = $('file-input')
  input.addEventListener('change', () => {
    addFiles([...input.files])
    input.value = ''
  })
  drop.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      input.click()
    }
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
    addFiles([...(event.dataTransfer?.files ?? [])])
  })
  // A file dropped anywhere else must not navigate away from the page.
  window.addEventListener('dragover', (event) => event.preventDefault())
  window.addEventListener('drop', (event) => event.preventDefault())
}

// ---------- preview and run

async function preview() {
  const ready = state.files.filter((f) => f.status === 'ready')
  const target = ready.find((f) => f.key === state.selectedFile) ?? ready[0]
  if (!target) {
    toast(state.files.some((f) => f.status === 'uploading') ? 'Wait for the upload to finish.' : 'Add an image or a video first.', 'info')
    return
  }
  const button = $('preview-button')
  busy(button, true)
  try {
    const result = await api('/api/preview', { method: 'POST', json: { upload: target.id, settings: readSettings() } })
    const region = result.cropped ? `the centre ${result.sourceWidth}×${result.sourceHeight} of ` : ''
    state.compareKey = `preview:${result.id}`
    await compare.show({
      before: result.before,
      after: result.after,
      width: result.width,
      height: result.height,
      caption: `Preview of ${region}${result.what}: ${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height} in ${(result.milliseconds / 1000).toFixed(1)} s`,
    })
  } catch (error) {
    toast(error.message, 'error', 'Preview failed')
  } finally {
    busy(button, false)
  }
}

async function run() {
  const ready = state.files.filter((f) => f.status === 'ready')
  if (ready.length === 0) {
    toast(state.files.some((f) => f.status === 'uploading') ? 'Wait for the uploads to finish.' : 'Add images or a video first.', 'info')
    return
  }
  const settings = readSettings()
  const { maxFiles } = state.config.limits
  const images = ready.filter((f) => f.kind === 'image')
  const groups = []
  for (let i = 0; i < images.length; i += maxFiles) groups.push(images.slice(i, i + maxFiles))
  for (const video of ready.filter((f) => f.kind === 'video')) groups.push([video])
  const button = $('run-button')
  busy(button, true)
  try {
    for (const group of groups) {
      try {
        const { job } = await api('/api/jobs', { method: 'POST', json: { uploads: group.map((f) => f.id), settings } })
        state.jobs.set(job.id, job)
        state.files = state.files.filter((f) => !group.includes(f))
        selectJob(job.id)
      } catch (error) {
        toast(error.message, 'error', 'Could not start the job')
        break
      }
    }
  } finally {
    if (!state.files.some((f) => f.key === state.selectedFile)) state.selectedFile = state.files.find((f) => f.status === 'ready')?.key
    busy(button, false)
    renderFiles()
    renderQueue()
  }
}

// ---------- jobs

function selectJob(id) {
  state.selectedJob = id
  state.resultKey = ''
  renderQueue()
  renderJob()
}

async function jobAction(action) {
  const job = state.jobs.get(state.selectedJob)
  if (!job) return
  try {
    if (action === 'remove') {
      await api(`/api/jobs/${job.id}`, { method: 'DELETE' })
      return
    }
    const { job: updated } = await api(`/api/jobs/${job.id}/${action}`, { method: 'POST' })
    state.jobs.set(updated.id, updated)
    renderJob()
    renderQueue()
  } catch (error) {
    toast(error.message)
  }
}

function percentOf(job) {
  if (job.state === 'done') return 100
  return Math.max(0, Math.min(100, job.progress?.percent ?? 0))
}

function stageRows(job) {
  const p = job.progress ?? {}
  if (job.kind === 'video') {
    const total = p.total ?? job.info?.source?.frames ?? 0
    return [
      ['decoded', 'Decoded', p.decoded, total],
      ['unique', 'Unique', p.unique, p.decoded],
      ['upscaled', 'Upscaled', p.upscaled, p.unique ?? total],
      ['encoded', 'Encoded', p.encoded, total],
    ]
  }
  const total = p.total ?? job.inputs.length
  return [
    ['images', 'Images', p.done ?? (job.state === 'done' ? total : 0), total],
    ['failed', 'Failed', p.failed ?? job.failures.length, total],
  ]
}

function renderStages(job) {
  const container = $('job-stages')
  const rows = stageRows(job)
  if (container.dataset.kind !== job.kind) {
    container.dataset.kind = job.kind
    container.replaceChildren()
    for (const [key, label] of rows) {
      const name = element('span', 'stage-name', label)
      const bar = element('div', 'bar')
      bar.append(element('span'))
      const count = element('span', 'stage-count')
      for (const node of [name, bar, count]) node.dataset.stage = key
      container.append(name, bar, count)
    }
  }
  for (const [key, , value, total] of rows) {
    const bar = container.querySelector(`.bar[data-stage="${key}"] > span`)
    const count = container.querySelector(`.stage-count[data-stage="${key}"]`)
    const known = typeof value === 'number'
    count.dataset.value = known ? String(value) : ''
    count.textContent = known ? `${value} / ${total || '?'}` : '—'
    count.title = known || key !== 'unique' ? '' : 'Unique frames are counted when duplicate detection is on'
    bar.style.width = known && total ? `${Math.min(100, (100 * value) / total)}%` : '0%'
  }
}

function renderStats(job) {
  const p = job.progress ?? {}
  const parts = []
  const add = (label, value) => {
    const part = element('span', '', `${label} `)
    part.append(element('b', '', String(value)))
    parts.push(part)
  }
  add('Progress', `${percentOf(job).toFixed(0)}%`)
  if (job.kind === 'video') add('Speed', p.fps ? `${p.fps.toFixed(1)} fps` : '—')
  if (typeof p.duplicates === 'number' && p.decoded) add('Duplicates skipped', `${p.duplicates} (${Math.round((100 * p.duplicates) / p.decoded)}%)`)
  else add('Speed', p.imagesPerSecond ? `${p.imagesPerSecond.toFixed(2)} images/s` : '—')
  if (!FINISHED.includes(job.state)) add('ETA', formatSeconds(p.etaSeconds))
  if (job.startedAt) add('Elapsed', formatSeconds(((job.finishedAt ?? Date.now()) - job.startedAt) / 1000))
  if (job.info) {
    add('Model', job.info.model)
    add('Workers', `${job.info.workers} × ${job.info.threads} threads`)
    if (job.info.mode) add('Mode', job.info.mode)
    if (job.info.source) add('Size', `${job.info.source.width}×${job.info.source.height} → ${job.info.outputWidth}×${job.info.outputHeight}`)
  }
  $('job-stats').replaceChildren(...parts)
}

function renderJob() {
  const job = state.jobs.get(state.selectedJob)
  $('job-block').hidden = !job
  if (!job) {
    $('result-block').hidden = true
    return
  }
  $('job-block').dataset.jobId = job.id
  $('job-block').dataset.state = job.state
  $('job-title').replaceChildren(icon(job.kind), document.createTextNode(` ${job.title}`))
  const badge = $('job-state')
  const pausing = job.pauseRequested && job.state === 'running'
  badge.textContent = pausing ? 'Pausing…' : STATE_LABELS[job.state]
  badge.className = `badge ${job.state}`
  renderStages(job)
  renderStats(job)

  const errorBox = $('job-error')
  errorBox.hidden = !job.error
  errorBox.replaceChildren()
  if (job.error) {
    errorBox.append(element('div', 'error-message', job.error.message))
    if (job.error.detail) {
      const details = element('details')
      details.append(element('summary', '', 'Details'), element('pre', '', job.error.detail))
      errorBox.append(details)
    }
  }
  $('job-failures').replaceChildren(...job.failures.map((failure) => element('li', '', failure.message)))
  $('job-warnings').replaceChildren(...job.warnings.map((warning) => element('li', '', warning)))

  const active = ['running', 'paused'].includes(job.state)
  $('pause-button').hidden = !(job.state === 'running' && !job.pauseRequested)
  $('resume-button').hidden = !(active && (job.state === 'paused' || job.pauseRequested))
  $('stop-button').hidden = !(active || job.state === 'queued')
  $('remove-button').hidden = !FINISHED.includes(job.state)
  renderResult(job)
}

function renderResult(job) {
  const key = `${job.id}|${job.state}|${job.outputs.join(',')}|${job.inputs.map((i) => i.display ?? '').join(',')}`
  if (key === state.resultKey) return
  state.resultKey = key
  const block = $('result-block')
  const container = $('result')
  container.replaceChildren()
  block.hidden = job.outputs.length === 0
  if (job.outputs.length === 0) return
  if (job.kind === 'image') renderImageResults(job, container)
  else renderVideoResult(job, container)
}

function showImagePair(job, index) {
  const result = job.results[index]
  if (!result) return
  state.selectedResult[job.id] = index
  const input = job.inputs.find((i) => i.file === result.input)
  const key = `job:${job.id}:${result.output}:${input?.display ?? ''}`
  for (const item of document.querySelectorAll('.gallery-item')) item.setAttribute('aria-selected', String(item.dataset.index === String(index)))
  if (state.compareKey === key) return
  state.compareKey = key
  void compare.show({
    before: input?.display ? fileUrl(job, input.display) : undefined,
    after: fileUrl(job, result.output),
    width: result.width,
    height: result.height,
    caption: `${input?.name ?? 'Image'}: ${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height}`,
  })
}

function renderImageResults(job, container) {
  const gallery = element('div', 'gallery')
  job.results.forEach((result, index) => {
    const input = job.inputs.find((i) => i.file === result.input)
    const item = element('button', 'gallery-item')
    item.type = 'button'
    item.dataset.index = String(index)
    const thumb = element('img')
    thumb.src = fileUrl(job, result.output)
    thumb.alt = `Result ${index + 1}`
    thumb.loading = 'lazy'
    item.append(thumb, element('span', 'file-name', input?.name ?? result.output), element('span', 'dims', `${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height}`))
    item.addEventListener('click', () => showImagePair(job, index))
    gallery.append(item)
  })
  container.append(gallery, downloadLinks(job))
  showImagePair(job, Math.min(state.selectedResult[job.id] ?? 0, job.results.length - 1))
}

async function compareFrame(job, index) {
  const button = $('frame-button')
  if (button) busy(button, true)
  try {
    const frame = await api(`/api/jobs/${job.id}/frame`, { method: 'POST', json: { index } })
    state.compareKey = `frame:${job.id}:${frame.index}`
    await compare.show({ before: frame.before, after: frame.after, width: frame.width, height: frame.height, caption: `Frame ${frame.index} of ${job.title}` })
  } catch (error) {
    toast(error.message, 'error', 'Frame comparison failed')
  } finally {
    if (button) busy(button, false)
  }
}

function renderVideoResult(job, container) {
  const video = job.video
  const output = job.outputs[0]
  const player = element('video', 'result-video')
  player.controls = true
  player.preload = 'metadata'
  player.src = fileUrl(job, output)
  container.append(player)
  const mime = { '.mp4': 'video/mp4', '.webm': 'video/webm', '.mkv': 'video/x-matroska' }[output.slice(output.lastIndexOf('.'))]
  const playable = player.canPlayType(mime) !== '' || (mime === 'video/x-matroska' && job.settings.codec !== 'libx265')
  if (!playable) container.append(element('p', 'hint', 'This browser may not play this format; download it to watch it.'))
  if (video) {
    const skipped = video.duplicates ? `, ${video.duplicates} duplicates not upscaled again` : ''
    container.append(element('p', 'dims', `${video.width}×${video.height}, ${video.frames} frames${skipped}, made in ${formatSeconds(video.seconds)} (${video.fps.toFixed(1)} fps)`))
    const picker = element('div', 'frame-picker')
    const range = element('input')
    Object.assign(range, { type: 'range', min: '0', max: String(Math.max(0, video.frames - 1)), value: '0', id: 'frame-range' })
    range.setAttribute('aria-label', 'Frame to compare')
    const number = element('input')
    Object.assign(number, { type: 'number', min: '0', max: String(Math.max(0, video.frames - 1)), value: '0', id: 'frame-number' })
    number.setAttribute('aria-label', 'Frame number')
    range.addEventListener('input', () => (number.value = range.value))
    number.addEventListener('input', () => (range.value = number.value))
    const button = element('button', 'btn secondary', 'Compare frame')
    button.type = 'button'
    button.id = 'frame-button'
    button.addEventListener('click', () => void compareFrame(job, Number(number.value)))
    picker.append(element('span', 'label-text', 'Frame'), range, number, button)
    container.append(picker)
  }
  container.append(downloadLinks(job))
  if (!state.compareKey.startsWith(`frame:${job.id}:`)) void compareFrame(job, 0)
}

function renderQueue() {
  const jobs = [...state.jobs.values()].sort((a, b) => a.createdAt - b.createdAt)
  $('queue-empty').hidden = jobs.length > 0
  $('queue').replaceChildren(
    ...jobs.map((job) => {
      const item = element('li')
      item.dataset.jobId = job.id
      item.dataset.state = job.state
      item.setAttribute('aria-selected', String(job.id === state.selectedJob))
      item.append(titled(job.kind, job.title, 'queue-title'))
      const badge = element('span', `badge ${job.state}`, job.pauseRequested && job.state === 'running' ? 'Pausing…' : STATE_LABELS[job.state])
      item.append(badge, element('span', 'queue-percent', ['queued', 'failed'].includes(job.state) ? '' : `${percentOf(job).toFixed(0)}%`))
      const bar = element('div', 'bar')
      const fill = element('span')
      fill.style.width = job.state === 'failed' ? '0%' : `${percentOf(job)}%`
      bar.append(fill)
      item.append(bar)
      item.addEventListener('click', () => selectJob(job.id))
      return item
    }),
  )
}

function onJob(job) {
  const previous = state.jobs.get(job.id)
  state.jobs.set(job.id, job)
  if (previous && previous.state !== job.state && job.state === 'failed' && job.error) toast(job.error.message, 'error', `${job.title} failed`)
  if (!state.selectedJob) state.selectedJob = job.id
  renderQueue()
  if (job.id === state.selectedJob) renderJob()
}

function connect() {
  const events = new EventSource('/api/events')
  let lost
  events.addEventListener('snapshot', (event) => {
    const { jobs } = JSON.parse(event.data)
    state.jobs = new Map(jobs.map((job) => [job.id, job]))
    if (!state.jobs.has(state.selectedJob)) state.selectedJob = jobs.at(-1)?.id
    state.resultKey = ''
    renderQueue()
    renderJob()
    lost?.remove()
    lost = undefined
  })
  events.addEventListener('job', (event) => onJob(JSON.parse(event.data)))
  events.addEventListener('removed', (event) => {
    const { id } = JSON.parse(event.data)
    state.jobs.delete(id)
    if (state.selectedJob === id) {
      state.selectedJob = [...state.jobs.keys()].at(-1)
      state.resultKey = ''
      if (state.compareKey.includes(id)) {
        state.compareKey = ''
        compare.clear()
      }
    }
    renderQueue()
    renderJob()
  })
  events.addEventListener('error', () => {
    if (lost || events.readyState === EventSource.OPEN) return
    lost = element('div', 'toast', 'Lost the connection to the server; reconnecting…')
    $('toasts').append(lost)
  })
}

async function main() {
  compare = new Compare($('compare'))
  try {
    state.config = await api('/api/config')
  } catch (error) {
    toast(error.message, 'error', 'Cannot load the settings')
    return
  }
  setUpSettings()
  setUpDrop()
  $('preview-button').addEventListener('click', () => void preview())
  $('run-button').addEventListener('click', () => void run())
  $('pause-button').addEventListener('click', () => void jobAction('pause'))
  $('resume-button').addEventListener('click', () => void jobAction('resume'))
  $('stop-button').addEventListener('click', () => void jobAction('stop'))
  $('remove-button').addEventListener('click', () => void jobAction('remove'))
  // The elapsed time of a running job ticks even without progress.
  setInterval(() => {
    const job = state.jobs.get(state.selectedJob)
    if (job && !FINISHED.includes(job.state) && job.state !== 'queued') renderStats(job)
  }, 1000)
  connect()
  document.body.dataset.ready = 'true'
}

void main()
