import { PIPELINE_MODES, PRESETS, SUBTITLE_CODECS, VIDEO_CODECS } from '@anime-upscaler/core'
import { LIMITS } from './limits'
import { ATTACHMENT_CHOICES, AUDIO_CHOICES, CONTAINERS, DETECTORS, IMAGE_OUTPUTS, REUSE_CHOICES } from './api-types'
import { selectableModels } from './core-defaults'

/** How a curl example sends its request. */
interface Example {
  json?: unknown
  file?: string
  output?: string
}

export interface ApiOperation {
  method: 'get' | 'post' | 'delete'
  path: string
  summary: string
  description?: string
  body?: 'settings+uploads' | 'settings+upload' | 'file' | 'frame'
  answer: string
  /** Answers 201 (something was made). */
  created?: boolean
  example?: Example
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const ID = '{id}'

/** Every endpoint, in the order the page uses them. */
export const API_OPERATIONS: ApiOperation[] = [
  { method: 'get', path: '/api/config', summary: 'Models, choices, defaults and limits', answer: 'Config' },
  { method: 'post', path: '/api/uploads', summary: 'Upload a file', description: 'The raw file is the body; X-File-Name carries its name (percent-encoded); an optional X-Upload-Key (1 to 64 letters, digits or hyphens) comes back as uploadKey, so that a page knows its own upload in the uploads event before the answer. The type is recognised from its first bytes. 413 above the size or count limit, 415 for anything but an image or video. Uploads are kept while a page has /api/events open, and expire 2 minutes after the last one closes.', body: 'file', answer: 'Upload', example: { file: 'picture.png' } },
  { method: 'get', path: '/api/uploads', summary: 'The uploads waiting', answer: 'UploadList' },
  { method: 'delete', path: `/api/uploads/${ID}`, summary: 'Remove an upload', answer: 'none' },
  { method: 'delete', path: '/api/uploads', summary: 'Remove every upload (Clear)', answer: 'none' },
  { method: 'post', path: '/api/examples/{example}', summary: "Add one of the project's example inputs as an upload", description: '`picture` or `clip`, made on first use.', answer: 'Upload', example: {} },
  { method: 'post', path: '/api/preview', summary: 'Upscale the centre of an image or of frame 0 of a video', body: 'settings+upload', answer: 'Preview', example: { json: { upload: 'UPLOAD_ID', settings: { model: 'anime4k-s', scale: 2 } } } },
  { method: 'post', path: '/api/jobs', summary: 'Start a job', description: 'Images go into one job, a video into its own. 429 when the queue is full.', body: 'settings+uploads', answer: 'JobAnswer', created: true, example: { json: { uploads: ['UPLOAD_ID'], settings: { model: 'anime4k-s', scale: 2 } } } },
  { method: 'get', path: '/api/jobs', summary: 'Every job', answer: 'JobList' },
  { method: 'delete', path: '/api/jobs', summary: 'Remove every finished job (Clear finished)', answer: 'none' },
  { method: 'get', path: `/api/jobs/${ID}`, summary: 'One job: state, progress as core reports it, results, errors', answer: 'JobAnswer' },
  { method: 'post', path: `/api/jobs/${ID}/pause`, summary: 'Pause: no new frame is decoded, no new image started', answer: 'JobAnswer', example: {} },
  { method: 'post', path: `/api/jobs/${ID}/resume`, summary: 'Resume', answer: 'JobAnswer', example: {} },
  { method: 'post', path: `/api/jobs/${ID}/stop`, summary: 'Stop; answers once the job has ended (nothing is kept)', answer: 'JobAnswer', example: {} },
  { method: 'post', path: `/api/jobs/${ID}/retry`, summary: 'Run a stopped or failed job again, as a new job', answer: 'JobAnswer', example: {} },
  { method: 'post', path: `/api/jobs/${ID}/frame`, summary: 'A frame of a done video job, before and after, as PNGs', body: 'frame', answer: 'Frame', example: { json: { index: 0 } } },
  { method: 'get', path: `/api/jobs/${ID}/files/{name}`, summary: "A job's file (byte ranges supported); ?download=1 to save it", answer: 'file', example: { output: 'result' } },
  { method: 'get', path: `/api/jobs/${ID}/zip`, summary: "Every output of a job, as a zip (streamed)", answer: 'zip', example: { output: 'results.zip' } },
  { method: 'delete', path: `/api/jobs/${ID}`, summary: 'Remove a job (stopped first) and its files', answer: 'none' },
  { method: 'get', path: '/api/interrupted', summary: 'Interrupted video jobs: kept after the server stopped or crashed, to resume or discard', description: 'Each keeps its source video and finished segments on disk, in `folder`, until it is resumed (and finishes) or discarded.', answer: 'InterruptedList' },
  { method: 'post', path: `/api/interrupted/${ID}/resume`, summary: 'Resume an interrupted video job: queued again with its recorded settings, it continues from its finished segments', description: '409 when it is in the queue already, 410 when its kept source video is gone, 404 when it is not listed (resumed or discarded meanwhile).', answer: 'JobAnswer', created: true, example: {} },
  { method: 'delete', path: `/api/interrupted/${ID}`, summary: 'Discard an interrupted video job: its kept source video and finished segments are deleted', description: '409 when it is in the queue (stop or remove it there).', answer: 'none' },
  { method: 'get', path: '/api/events', summary: 'Server-Sent Events: snapshot, job, removed, uploads, interrupted', description: 'An open stream also keeps the uploads waiting.', answer: 'events' },
  { method: 'get', path: '/api/openapi.json', summary: 'This description', answer: 'json' },
]

function settingsSchema() {
  const integerOrAuto = { oneOf: [{ type: 'integer' }, { const: 'auto' }] }
  return {
    type: 'object',
    description: 'Missing fields take the defaults (GET /api/config); a bad one is refused with 400 naming it.',
    properties: {
      model: { enum: selectableModels().map((model) => model.id) },
      sizeMode: { enum: ['scale', 'size'] },
      scale: { type: 'number', minimum: 1 },
      width: { type: 'integer' },
      height: { type: 'integer' },
      tile: integerOrAuto,
      workers: integerOrAuto,
      processing: { enum: PIPELINE_MODES },
      dedup: { type: 'object', properties: { detector: { enum: DETECTORS }, hi: { type: 'number' }, lo: { type: 'number' }, frac: { type: 'number' }, hashDistance: { type: 'integer' }, maxRun: { type: 'integer' } } },
      reuse: { enum: REUSE_CHOICES, description: 'off, frames (duplicates of any recent kept frame) or tiles (also upscale only the tiles that changed)' },
      reuseRefs: { type: 'integer', minimum: 1, maximum: LIMITS.reuseRefs[1] },
      codec: { enum: VIDEO_CODECS },
      crf: { type: 'integer' },
      preset: { enum: PRESETS },
      container: { enum: CONTAINERS, description: 'auto: the codec\'s usual container when it holds the source\'s streams, else Matroska' },
      audio: { enum: AUDIO_CHOICES },
      subtitles: { enum: SUBTITLE_CODECS },
      attachments: { enum: ATTACHMENT_CHOICES },
      imageFormat: { enum: IMAGE_OUTPUTS },
      quality: { type: 'integer', minimum: 1, maximum: 100 },
    },
  }
}

const SCHEMAS = {
  Error: { type: 'object', properties: { error: { type: 'string' }, detail: { type: 'string' }, setting: { type: 'string' } }, required: ['error'] },
  Upload: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' }, kind: { enum: ['image', 'video'] }, type: { type: 'string' }, label: { type: 'string' }, uploadKey: { type: 'string' } } },
  UploadList: { type: 'object', properties: { uploads: { type: 'array', items: ref('Upload') } } },
  Job: { type: 'object', description: 'state: queued, running, paused, stopping, done, failed or stopped. progress is core\'s last progress event.', properties: { id: { type: 'string' }, kind: { enum: ['image', 'video'] }, state: { type: 'string' }, queuePosition: { type: 'integer' }, progress: { type: 'object' }, outputs: { type: 'array', items: { type: 'string' } }, downloads: { type: 'array' }, error: { type: 'object' } } },
  JobAnswer: { type: 'object', properties: { job: ref('Job') } },
  JobList: { type: 'object', properties: { jobs: { type: 'array', items: ref('Job') } } },
  Preview: { type: 'object', properties: { before: { type: 'string' }, after: { type: 'string' }, width: { type: 'integer' }, height: { type: 'integer' }, milliseconds: { type: 'integer' } } },
  Interrupted: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' }, segments: { type: 'integer' }, segmentsDone: { type: 'integer' }, updatedAt: { type: 'integer', description: 'ms since 1970' }, settings: { type: 'object' }, sourceMissing: { type: 'boolean' } } },
  InterruptedList: { type: 'object', properties: { jobs: { type: 'array', items: ref('Interrupted') }, folder: { type: 'string', description: 'where they are kept' } } },
  Frame: { type: 'object', properties: { index: { type: 'integer' }, before: { type: 'string' }, after: { type: 'string' } } },
  Config: { type: 'object' },
}

function requestBody(body: ApiOperation['body']) {
  if (body === 'file') return { content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }
  if (body === 'frame') return { content: { 'application/json': { schema: { type: 'object', properties: { index: { type: 'integer' } } } } } }
  const target = body === 'settings+uploads' ? { uploads: { type: 'array', items: { type: 'string' } } } : { upload: { type: 'string' } }
  return { content: { 'application/json': { schema: { type: 'object', properties: { ...target, settings: settingsSchema() } } } } }
}

function responses(answer: string, created = false) {
  const error = { description: 'Refused, with the reason', content: { 'application/json': { schema: ref('Error') } } }
  if (answer === 'none') return { 204: { description: 'Done' }, 404: error }
  const content =
    answer === 'events' ? { 'text/event-stream': {} } : answer === 'zip' ? { 'application/zip': {} } : answer === 'file' ? { '*/*': {} } : { 'application/json': { schema: answer === 'json' ? { type: 'object' } : ref(answer) } }
  return { [created ? 201 : 200]: { description: created ? 'Created' : 'OK', content }, 400: error, 404: error }
}

/** The curl command for an operation; TOKEN and ids are placeholders to fill in. */
export function curlExample(operation: ApiOperation, base: string, token: boolean): string {
  const id = operation.path.startsWith('/api/uploads') ? 'UPLOAD_ID' : operation.path.startsWith('/api/interrupted') ? 'INTERRUPTED_ID' : 'JOB_ID'
  const path = operation.path.replace('{id}', id).replace('{example}', 'picture').replace('{name}', 'FILE_NAME')
  const parts = ['curl', '-sS']
  if (operation.method !== 'get') parts.push('-X', operation.method.toUpperCase())
  if (token) parts.push('-H', "'Authorization: Bearer TOKEN'")
  const example = operation.example ?? {}
  if (example.json !== undefined) parts.push('-H', "'Content-Type: application/json'", '-d', `'${JSON.stringify(example.json)}'`)
  if (example.file) parts.push('-H', `'X-File-Name: ${example.file}'`, '--data-binary', `@${example.file}`)
  if (operation.path.endsWith('/events')) parts.push('-N')
  if (example.output) parts.push('-o', example.output)
  parts.push(`'${base}${path}${path.includes('/files/') ? '?download=1' : ''}'`)
  return parts.join(' ')
}

/** The API as OpenAPI 3.1, with a curl example per operation (`x-codeSamples`). */
export function openApiDocument(base: string, token: boolean): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const operation of API_OPERATIONS) {
    paths[operation.path] ??= {}
    paths[operation.path][operation.method] = {
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      ...(operation.body ? { requestBody: requestBody(operation.body) } : {}),
      responses: responses(operation.answer, operation.created),
      'x-codeSamples': [{ lang: 'curl', source: curlExample(operation, base, token) }],
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'anime-upscaler web app', version: '1', description: 'The HTTP API the page uses. With an access token, send it as `Authorization: Bearer TOKEN`. State-changing requests from other sites are refused.' },
    servers: [{ url: base }],
    ...(token ? { components: { schemas: SCHEMAS, securitySchemes: { token: { type: 'http', scheme: 'bearer' } } }, security: [{ token: [] }] } : { components: { schemas: SCHEMAS } }),
    paths,
  }
}
