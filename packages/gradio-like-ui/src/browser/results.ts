// A job's results: the image gallery with downloads (and all of them as a zip), or the video
// playing in the page with a frame to compare; and what the comparison shows.
import type { JobView } from '../api-types'
import { api, fileUrl } from './api'
import { $, busy, button, element, icon, say } from './dom'
import { formatSeconds } from './format'
import { state } from './state'
import type { Compare } from './compare'

let compare: Compare
let resultKey = ''

export function useCompare(instance: Compare): void {
  compare = instance
}

/** Shows a preview; it stays until a job result or another preview replaces it. */
export async function showPreview(key: string, pair: Parameters<Compare['show']>[0]): Promise<void> {
  state.compareKey = key
  await compare.show(pair)
}

/** Empties the comparison when it shows another job than `job` (which has nothing to show). */
function clearOtherJobs(job: JobView): void {
  const showsJob = state.compareKey.startsWith('job:') || state.compareKey.startsWith('frame:')
  if (showsJob && !state.compareKey.includes(`:${job.id}:`)) {
    state.compareKey = ''
    compare.clear()
  }
}

export function forgetJob(id: string): void {
  if (state.compareKey.includes(`:${id}:`)) {
    state.compareKey = ''
    compare.clear()
  }
}

function downloadLink(job: JobView, file: string, name: string, className = 'download'): HTMLAnchorElement {
  const link = element('a', className)
  link.href = fileUrl(job.id, file, true)
  link.download = name
  link.append(icon('download'), document.createTextNode(` ${name}`))
  return link
}

function downloads(job: JobView): HTMLElement {
  const links = element('div', 'downloads')
  if (job.zip) {
    const zip = element('a', 'download button')
    zip.href = `/api/jobs/${job.id}/zip`
    zip.download = job.zip
    zip.append(icon('download'), document.createTextNode(` Download all (${job.outputs.length} files, zip)`))
    links.append(zip)
  } else {
    for (const download of job.downloads) links.append(downloadLink(job, download.file, download.name))
  }
  return links
}

function showImagePair(job: JobView, index: number): void {
  const result = job.results[index]
  if (!result) return
  state.selectedResult[job.id] = index
  const input = job.inputs.find((candidate) => candidate.file === result.input)
  for (const item of document.querySelectorAll<HTMLElement>('.gallery-item')) item.setAttribute('aria-current', String(item.dataset.index === String(index)))
  const key = `job:${job.id}:${result.output}:${input?.display ?? ''}`
  if (state.compareKey === key) return
  state.compareKey = key
  void compare.show({
    before: input?.display ? fileUrl(job.id, input.display) : undefined,
    after: fileUrl(job.id, result.output),
    width: result.width,
    height: result.height,
    caption: `${input?.name ?? 'Image'}: ${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height}`,
  })
}

function renderImageResults(job: JobView, container: HTMLElement): void {
  const gallery = element('ul', 'gallery')
  gallery.setAttribute('aria-label', 'Upscaled images')
  job.results.forEach((result, index) => {
    const input = job.inputs.find((candidate) => candidate.file === result.input)
    const name = input?.name ?? result.output
    const item = element('li', 'gallery-item')
    item.dataset.index = String(index)
    const pick = button('gallery-pick', '', () => showImagePair(job, index))
    pick.title = `Compare ${name}, before and after`
    const thumb = element('img')
    thumb.src = fileUrl(job.id, result.output)
    thumb.alt = ''
    thumb.loading = 'lazy'
    pick.append(thumb, element('span', 'file-name', name), element('span', 'dims', `${result.sourceWidth}×${result.sourceHeight} → ${result.width}×${result.height}`))
    const download = job.downloads.find((candidate) => candidate.file === result.output)
    item.append(pick)
    if (download && job.zip) item.append(downloadLink(job, download.file, 'Download'))
    gallery.append(item)
  })
  container.append(gallery, downloads(job))
  showImagePair(job, Math.min(state.selectedResult[job.id] ?? 0, job.results.length - 1))
}

async function compareFrame(job: JobView, index: number): Promise<void> {
  const trigger = document.getElementById('frame-button') as HTMLButtonElement | null
  if (trigger) busy(trigger, true)
  try {
    const frame = await api<{ index: number; before: string; after: string; width: number; height: number }>(`/api/jobs/${job.id}/frame`, { method: 'POST', json: { index } })
    state.compareKey = `frame:${job.id}:${frame.index}`
    await compare.show({ before: frame.before, after: frame.after, width: frame.width, height: frame.height, caption: `Frame ${frame.index} of ${job.title}` })
  } catch (error) {
    say(`Frame comparison failed: ${(error as Error).message}`, 'error')
  } finally {
    if (trigger) busy(trigger, false)
  }
}

function framePicker(job: JobView, frames: number): HTMLElement {
  const picker = element('div', 'frame-picker')
  const last = String(Math.max(0, frames - 1))
  const range = Object.assign(element('input'), { type: 'range', min: '0', max: last, value: '0', id: 'frame-range' })
  range.setAttribute('aria-label', 'Frame to compare')
  const number = Object.assign(element('input'), { type: 'number', min: '0', max: last, value: '0', id: 'frame-number' })
  number.setAttribute('aria-label', 'Frame number')
  range.addEventListener('input', () => (number.value = range.value))
  number.addEventListener('input', () => (range.value = number.value))
  const compareButton = button('btn secondary', 'Compare frame', () => void compareFrame(job, Number(number.value)))
  compareButton.id = 'frame-button'
  picker.append(element('span', 'label-text', 'Frame'), range, number, compareButton)
  return picker
}

function renderVideoResult(job: JobView, container: HTMLElement): void {
  const player = element('video', 'result-video')
  player.controls = true
  player.preload = 'metadata'
  player.src = fileUrl(job.id, job.outputs[0])
  player.setAttribute('aria-label', `The upscaled ${job.title}`)
  container.append(player)
  const output = job.outputs[0]
  const mime = ({ '.mp4': 'video/mp4', '.webm': 'video/webm', '.mkv': 'video/x-matroska' } as Record<string, string>)[output.slice(output.lastIndexOf('.'))]
  const playable = player.canPlayType(mime) !== '' || (mime === 'video/x-matroska' && job.settings.codec !== 'libx265')
  if (!playable) container.append(element('p', 'hint', 'This browser may not play this format; download it to watch it.'))
  const video = job.video
  if (video) {
    const skipped = `${video.duplicates ? `, ${video.duplicates} duplicates not upscaled again` : ''}${video.modelWork === undefined ? '' : `, model work ${Math.round(100 * video.modelWork)}%`}`
    container.append(element('p', 'dims', `${video.width}×${video.height}, ${video.frames} frames${skipped}, made in ${formatSeconds(video.seconds)} (${video.fps.toFixed(1)} fps)`))
    container.append(framePicker(job, video.frames))
  }
  container.append(downloads(job))
  if (!state.compareKey.startsWith(`frame:${job.id}:`)) void compareFrame(job, 0)
}

/** The result block of the selected job; redrawn only when its outputs change. */
export function renderResult(job: JobView): void {
  const key = `${job.id}|${job.state}|${job.outputs.join(',')}|${job.inputs.map((input) => input.display ?? '').join(',')}`
  if (job.outputs.length === 0) clearOtherJobs(job)
  if (key === resultKey) return
  resultKey = key
  const container = $('result')
  container.replaceChildren()
  $('result-block').hidden = job.outputs.length === 0
  if (job.outputs.length === 0) return
  if (job.kind === 'image') renderImageResults(job, container)
  else renderVideoResult(job, container)
}

/** Forces the next renderResult to redraw (another job selected). */
export function resetResult(): void {
  resultKey = ''
}
