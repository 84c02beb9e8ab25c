// The job process's entry (built to dist/job-runner.cjs): runs one core job for the server and
// relays its events over IPC. A crash here (native code) fails the job, not the server.
import { join } from 'node:path'
import { BehaviorSubject, concat, concatMap, defer, from, map, of, type Observable } from 'rxjs'
import { activeModelCalls, outputContainer, probe, toCoreError, readImage, upscaleImage, upscaleImages, upscaleVideo, writeImage, type ImageEvent, type VideoEvent } from '@anime-upscaler/core'
import { useSpawnHelper } from '@anime-upscaler/common'
import { cropTarget, imageOptions } from './core-options'
import type { ChildMessage, ParentMessage, PreviewFacts, ProcessError, RunRequest, RunnerEvent } from './job-protocol'
import { centerCrop, readVideoFrame } from './media'
import { describeForPage } from './plain-errors'

const abort = new AbortController()
const paused = new BehaviorSubject(false)
let finished = false

function send(message: ChildMessage, then?: () => void): void {
  if (process.connected) process.send!(message, () => then?.())
  else then?.()
}

/** Sends the result; the server then ends this process (see exitWhenIdle for when it cannot). */
function finish(message: ChildMessage): void {
  if (finished) return
  finished = true
  send(message, exitWhenIdle)
}

/**
 * Exits once no model call runs: after a stop, a call whose result is dropped may still be running
 * in a worker thread (onnxruntime cannot interrupt it), and exiting inside one aborts the process.
 * The server does not wait for this: it kills the process as soon as it has the result.
 */
function exitWhenIdle(): void {
  if (activeModelCalls() === 0) process.exit(0)
  setTimeout(exitWhenIdle, 20)
}

function withModelId(event: ImageEvent | VideoEvent): RunnerEvent {
  return event.type === 'start' ? { ...event, model: event.model.id } : event
}

/** core's error (stage errors mapped by core), worded in the page's terms, with its structured fields. */
function toProcessError(error: unknown): ProcessError {
  const mapped = toCoreError(error)
  const { message, option } = describeForPage(mapped)
  const { value, hint } = mapped as Partial<Pick<ProcessError, 'value' | 'hint'>>
  return { code: mapped.code, stage: mapped.stage, option: (mapped as { option?: string }).option ?? option, value, hint, message }
}

async function videoOutput(request: Extract<RunRequest, { kind: 'video' }>): Promise<string> {
  const { encoder = {} } = request.options
  const container = request.container === 'auto' ? outputContainer(await probe(request.input, { signal: abort.signal }), encoder.codec ?? 'libx264', encoder) : request.container
  return join(request.outputDir, `${request.outputStem}.${container}`)
}

async function preview(request: Extract<RunRequest, { kind: 'preview' }>): Promise<PreviewFacts> {
  const { signal } = abort
  const picture = request.video ? (await readVideoFrame(request.input, 0, signal)).image : (await readImage(request.input, request.maxPixels)).image
  const { image: crop, cropped } = centerCrop(picture, request.side)
  await writeImage(crop, request.before, { format: 'png', overwrite: true })
  const target = cropTarget(request.settings, picture.width, picture.height, crop.width, crop.height)
  const options = { ...imageOptions(request.settings, { target, signal, maxPixels: request.maxPixels }), workers: 1 }
  const result = await upscaleImage({ input: request.before, output: request.after, format: 'png' }, options)
  return { sourceWidth: crop.width, sourceHeight: crop.height, width: result.width, height: result.height, fullWidth: picture.width, fullHeight: picture.height, cropped }
}

function run(request: RunRequest): Observable<RunnerEvent> {
  const common = { signal: abort.signal, paused, onWarning: (message: string) => send({ type: 'warning', message }) }
  switch (request.kind) {
    case 'image':
      return upscaleImages(request.jobs, { ...request.options, ...common }).pipe(map(withModelId))
    case 'video':
      return from(videoOutput(request)).pipe(
        concatMap((output) => concat(of<RunnerEvent>({ type: 'output', path: output }), upscaleVideo(request.input, output, { ...request.options, ...common }).pipe(map(withModelId)))),
      )
    case 'preview':
      return defer(() => preview(request)).pipe(map((facts): RunnerEvent => ({ type: 'preview', ...facts })))
  }
}

// Forked while this process is small: every ffmpeg and ffprobe is started by it (see there why).
useSpawnHelper()

// The server went away: stop core (ffmpeg ends, temporary files go), then leave.
process.on('disconnect', () => {
  abort.abort()
  setTimeout(exitWhenIdle, 3000).unref()
})

process.on('message', (message: ParentMessage) => {
  if (message.type === 'pause') return paused.next(message.value)
  if (message.type === 'stop') return abort.abort()
  run(message.request).subscribe({
    next: (event) => send({ type: 'event', event }),
    error: (error: unknown) => finish({ type: 'error', error: toProcessError(error) }),
    complete: () => finish({ type: 'complete' }),
  })
})
