// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import { of, type Observable } from 'rxjs'
import {
  ModelSession,
  UpscaleEngine,
  buildAnime4kOnnx,
  createUpscaler,
  loadAnime4kWeights,
  planOutput,
  upscale,
  type Anime4kOnnxOptions,
  type EngineImage,
  type EngineOptions,
  type Frame,
  type ReusePlan,
  type SessionOptions,
  type TargetSize,
  type UpscaleOperatorOptions,
  type UpscaledImage,
  type UpscalerOptions,
  type Yuv420Image,
} from '../src/index'

/** True only when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

declare const sessionOptions: SessionOptions
declare const engineOptions: EngineOptions
declare const upscalerOptions: UpscalerOptions
declare const operatorOptions: UpscaleOperatorOptions
declare const anime4kOptions: Anime4kOnnxOptions
declare const target: TargetSize
declare const frames: Observable<Frame & { pts: number }>

void ModelSession.load(sessionOptions)
void UpscaleEngine.create(engineOptions)
void UpscaleEngine.create(sessionOptions)
void createUpscaler(upscalerOptions)
void createUpscaler(engineOptions)
buildAnime4kOnnx(loadAnime4kWeights('l'), anime4kOptions)
planOutput(640, 360, 2, target)

// The operator: a value of its own options type (issue 10, item 18: this was TS2769).
const general = frames.pipe(upscale(operatorOptions))
const generalFits: Same<typeof general, Observable<Omit<Frame & { pts: number }, 'image'> & { image: UpscaledImage; reuse?: ReusePlan }>> = true
// Literal options keep the precise frame type: RGB without yuv420, Y'CbCr 4:2:0 with it.
const rgb = frames.pipe(upscale({ model: 'anime4k-s', target: { scale: 2 } }))
const rgbFits: Same<typeof rgb, Observable<Frame & { pts: number } & { reuse?: ReusePlan }>> = true
const yuv = frames.pipe(upscale({ yuv420: { matrix: 'bt709', range: 'tv' } }))
const yuvFits: Same<typeof yuv, Observable<Omit<Frame & { pts: number }, 'image'> & { image: Yuv420Image; reuse?: ReusePlan }>> = true
// Any UpscalerOptions is a valid operator option, and other fields of a frame pass through.
of({ index: 0, image: {} as EngineImage, label: 'a' }).pipe(upscale(upscalerOptions)).subscribe((frame) => frame.label.toUpperCase())
void [generalFits, rgbFits, yuvFits]

// Wrong values are refused.
// @ts-expect-error provider is one of PROVIDERS
void createUpscaler({ provider: 'tpu' })
// @ts-expect-error tile is a number or 'auto'
void UpscaleEngine.create({ tile: '256' })
// @ts-expect-error yuv420 needs a matrix and a range
upscale({ yuv420: { matrix: 'bt709' } })
// @ts-expect-error samples is float32, uint8 or uint16
buildAnime4kOnnx(loadAnime4kWeights('s'), { samples: 'int8' })
