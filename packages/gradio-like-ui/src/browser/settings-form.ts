// The settings form: filled from /api/config, remembered in localStorage, read into UiSettings.
import type { ConfigView, UiSettings } from '../api-types'
import { $ } from './dom'
import { parseScale } from './format'
import { state } from './state'

const STORAGE_KEY = 'anime-upscaler-ui:settings'
const SLIDER_MAX = 8

const input = (id: string) => $<HTMLInputElement>(id)
const select = (id: string) => $<HTMLSelectElement>(id)

function fillSelect(node: HTMLSelectElement, values: readonly string[], label: (value: string) => string = (value) => value): void {
  node.replaceChildren(
    ...values.map((value) => {
      const option = document.createElement('option')
      option.value = value
      option.textContent = label(value)
      return option
    }),
  )
}

function radioValue(name: string): string {
  return document.querySelector<HTMLInputElement>(`input[name="${name}"]:checked`)?.value ?? ''
}

function setRadio(name: string, value: string | undefined): void {
  const radio = document.querySelector<HTMLInputElement>(`input[name="${name}"][value="${value}"]`)
  if (radio) radio.checked = true
}

function numberOrUndefined(node: HTMLInputElement): number | undefined {
  return node.value === '' ? undefined : Number(node.value)
}

function setValue(node: HTMLInputElement, value: unknown): void {
  node.value = value === undefined || value === null || value === 'auto' ? '' : String(value)
}

function setSelect(node: HTMLSelectElement, value: string | undefined): void {
  if (value !== undefined && [...node.options].some((option) => option.value === value)) node.value = value
}

/** The Scale box checked: its number, or an inline message saying what is allowed. */
function checkScale(): number | undefined {
  const { minScale, maxScale } = state.config.limits
  const box = input('scale')
  const parsed = parseScale(box.value, minScale, maxScale)
  const message = 'error' in parsed ? parsed.error : ''
  $('scale-message').textContent = message
  box.setAttribute('aria-invalid', String(message !== ''))
  if (!('value' in parsed)) return undefined
  input('scale-slider').value = String(Math.min(parsed.value, SLIDER_MAX))
  return parsed.value
}

/** The form as settings, or undefined (with the message shown) when the Scale box holds no valid number. */
export function readSettings(): UiSettings | undefined {
  const scale = checkScale()
  if (scale === undefined && radioValue('sizeMode') === 'scale') return undefined
  return {
    model: select('model').value,
    sizeMode: radioValue('sizeMode') as UiSettings['sizeMode'],
    scale: scale ?? state.config.defaults.scale,
    width: numberOrUndefined(input('width')),
    height: numberOrUndefined(input('height')),
    tile: input('tile').value === '' ? 'auto' : Number(input('tile').value),
    workers: input('workers-auto').checked ? 'auto' : Number(input('workers').value),
    processing: radioValue('processing') as UiSettings['processing'],
    dedup: {
      detector: radioValue('detector') as UiSettings['dedup']['detector'],
      hi: numberOrUndefined(input('dedup-hi')),
      lo: numberOrUndefined(input('dedup-lo')),
      frac: numberOrUndefined(input('dedup-frac')),
      hashDistance: numberOrUndefined(input('dedup-hash-distance')),
      maxRun: numberOrUndefined(input('dedup-max-run')),
    },
    reuse: radioValue('reuse') as UiSettings['reuse'],
    reuseRefs: numberOrUndefined(input('reuse-refs')),
    codec: select('codec').value as UiSettings['codec'],
    crf: numberOrUndefined(input('crf')),
    preset: select('preset').value as UiSettings['preset'],
    container: select('container').value as UiSettings['container'],
    audio: select('audio').value as UiSettings['audio'],
    subtitles: select('subtitles').value as UiSettings['subtitles'],
    attachments: select('attachments').value as UiSettings['attachments'],
    imageFormat: select('image-format').value as UiSettings['imageFormat'],
    quality: numberOrUndefined(input('quality')),
  }
}

function applySettings(settings: UiSettings): void {
  setSelect(select('model'), settings.model)
  setRadio('sizeMode', settings.sizeMode)
  input('scale').value = String(settings.scale)
  setValue(input('width'), settings.width)
  setValue(input('height'), settings.height)
  setValue(input('tile'), settings.tile)
  input('workers-auto').checked = settings.workers === 'auto'
  input('workers').value = String(settings.workers === 'auto' ? state.config.cores : settings.workers)
  setRadio('processing', settings.processing)
  setRadio('detector', settings.dedup.detector)
  setValue(input('dedup-hi'), settings.dedup.hi)
  setValue(input('dedup-lo'), settings.dedup.lo)
  setValue(input('dedup-frac'), settings.dedup.frac)
  setValue(input('dedup-hash-distance'), settings.dedup.hashDistance)
  setValue(input('dedup-max-run'), settings.dedup.maxRun)
  setRadio('reuse', settings.reuse)
  setValue(input('reuse-refs'), settings.reuseRefs)
  for (const key of ['codec', 'preset', 'container', 'audio', 'subtitles', 'attachments'] as const) setSelect(select(key), settings[key])
  setValue(input('crf'), settings.crf)
  setSelect(select('image-format'), settings.imageFormat)
  setValue(input('quality'), settings.quality)
  syncForm()
}

/** Saved settings over the server's defaults (a setting the server no longer offers falls back). */
function loadSettings(): UiSettings {
  const defaults = state.config.defaults
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<UiSettings> | null
    if (saved && typeof saved === 'object') return { ...defaults, ...saved, dedup: { ...defaults.dedup, ...(saved.dedup ?? {}) } }
  } catch {
    // Unreadable: start from the defaults.
  }
  return defaults
}

function saveSettings(): void {
  const settings = readSettings()
  if (!settings) return
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings))
  } catch {
    // Storage full or disabled: settings are simply not remembered.
  }
}

/** Shows the fields that apply to the current choices. */
function syncForm(): void {
  const bySize = radioValue('sizeMode') === 'size'
  $('scale-field').hidden = bySize
  $('size-fields').hidden = !bySize
  input('workers').disabled = input('workers-auto').checked
  const model = state.config.models.find((candidate) => candidate.id === select('model').value)
  $('model-info').textContent = model ? model.description : ''
  const detector = radioValue('detector')
  $('dedup-default-fields').hidden = detector !== 'default'
  $('dedup-hash-field').hidden = detector !== 'hash'
  $('dedup-max-run-field').hidden = detector === 'off'
  $('reuse-refs-field').hidden = radioValue('reuse') === 'off'
  const lossless = select('codec').value === 'ffv1'
  input('crf').disabled = lossless
  select('preset').disabled = lossless
}

function fillChoices(config: ConfigView): void {
  fillSelect(select('model'), config.models.map((model) => model.id), (id) => (id === config.defaultModel ? `${id} (default)` : id))
  fillSelect(select('codec'), config.codecs)
  fillSelect(select('container'), config.containers, (value) => (value === 'auto' ? 'auto' : value.toUpperCase()))
  fillSelect(select('preset'), config.presets)
  const keepOrDrop = (value: string) => ({ copy: 'keep', none: 'drop' })[value] ?? value
  fillSelect(select('audio'), config.audio, (value) => ({ libopus: 'opus' })[value] ?? keepOrDrop(value))
  fillSelect(select('subtitles'), config.subtitles, (value) => ({ mov_text: 'MP4 text', srt: 'SRT', ass: 'ASS', webvtt: 'WebVTT' })[value] ?? keepOrDrop(value))
  fillSelect(select('attachments'), config.attachments, keepOrDrop)
  fillSelect(select('image-format'), config.imageFormats, (value) => (value === 'same' ? 'same as input' : value))
  input('workers').max = String(Math.max(2, config.cores))
  const slider = input('scale-slider')
  slider.min = String(config.limits.minScale)
  slider.max = String(Math.min(SLIDER_MAX, config.limits.maxScale))
}

export function setUpSettings(): void {
  fillChoices(state.config)
  applySettings(loadSettings())
  const form = $<HTMLFormElement>('settings')
  form.addEventListener('submit', (event) => event.preventDefault())
  form.addEventListener('input', (event) => {
    // The slider moves the box; the box moves the slider only once it holds a valid number.
    if (event.target === input('scale-slider')) input('scale').value = String(Math.round(Number(input('scale-slider').value) * 10) / 10)
    syncForm()
    saveSettings()
  })
  form.addEventListener('change', () => {
    syncForm()
    saveSettings()
  })
}
