// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import { Subject, type Observable } from 'rxjs'
import {
  readFrame,
  resolveMediaJobs,
  upscaleBatch,
  upscaleImage,
  upscaleImages,
  upscaleVideo,
  upscaleVideoToFile,
  writeImage,
  type BatchEvent,
  type EncoderOptions,
  type ImageEvent,
  type ImageJob,
  type MediaJob,
  type ReadFrameOptions,
  type UpscaleBatchOptions,
  type UpscaleImagesOptions,
  type UpscaleVideoOptions,
  type VideoEvent,
  type WriteImageOptions,
} from '../src/index'

declare const imagesOptions: UpscaleImagesOptions
declare const videoOptions: UpscaleVideoOptions
declare const encoder: EncoderOptions
declare const writeOptions: WriteImageOptions
declare const readOptions: ReadFrameOptions
declare const jobs: ImageJob[]
declare const batchOptions: UpscaleBatchOptions
declare const mediaJobs: MediaJob[]

const imageEvents: Observable<ImageEvent> = upscaleImages(jobs, imagesOptions)
void upscaleImage(jobs[0], imagesOptions)
const videoEvents: Observable<VideoEvent> = upscaleVideo('in.mkv', 'out.mkv', videoOptions)
void upscaleVideoToFile('in.mkv', 'out.mkv', { ...videoOptions, encoder })
void writeImage({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, 'out.png', writeOptions)
void readFrame('in.mkv', 3, readOptions)
// Literal options as the README writes them.
upscaleVideo('in.mkv', 'out.mkv', { model: 'anime4k-s', target: { width: 1920 }, paused: new Subject<boolean>(), dedup: { detector: 'hash', maxRun: 24 }, encoder: { crf: 18, preset: 'medium' } })
upscaleImages(jobs, { model: 'anime4k-s', overwrite: true, quality: 90, workers: 2 })
const batchEvents: Observable<BatchEvent> = upscaleBatch(mediaJobs, batchOptions)
void resolveMediaJobs(['./season1', 'extra.png'], './season1-2x', { format: 'webp' }).then((found) => upscaleBatch(found, { ...videoOptions, quality: 90 }))
void [imageEvents, videoEvents, batchEvents]

// @ts-expect-error the encoder's output is upscaleVideo's own argument
upscaleVideo('in.mkv', 'out.mkv', { encoder: { output: 'elsewhere.mkv' } })
// @ts-expect-error frameFormat is auto or rgb
upscaleVideo('in.mkv', 'out.mkv', { frameFormat: 'yuv444p' })
// @ts-expect-error a plan file names one video: not a batch option
upscaleBatch(mediaJobs, { planFile: 'plan.json' })
