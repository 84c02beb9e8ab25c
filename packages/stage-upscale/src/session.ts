import { readFileSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { UpscaleError } from './errors'
import { float16ToFloat32, float32ToFloat16 } from './float16'
import { readImportedMetadata, type ImportedModelMetadata, type PaddingMode } from './model-metadata'
import { DEFAULT_MODEL, findBuiltinModel } from './models'
import { PooledNetwork, type PicturePlan, type PlaneWindow } from './pooled'
import { fallbackWarning, providerUnavailableReason, type Provider } from './providers'
import { resolveModel, type ModelStoreOptions } from './store'
import { PLAIN_GEOMETRY, type Tile, type WindowGeometry } from './tiling'
import { sampleTypeOf, type RawImage, type SampleType } from './types'
import { assertYuvColor, yuv420Format, type Yuv420Image, type YuvColor } from './yuv'

/** What stage-upscale discovered about a model: nothing here is configured by hand. */
export interface ModelInfo {
  /** Built-in id, or the path of the .onnx file. */
  id: string
  inputName: string
  outputName: string
  /** The model's arithmetic: the float type its image input has (built-in models cast samples to float32 inside). */
  dtype: 'float32' | 'float16'
  /** Output size / input size of one pass. */
  scale: number
  /** Set when the model only accepts one input size: tiles are then exactly this size. */
  fixedSize?: { width: number; height: number }
  /** Known receptive radius in input pixels (built-in models); undefined for imported models. */
  receptiveRadius?: number
  /**
   * True when the engine can return 8- or 10-bit Y'CbCr 4:2:0 (`upscaleToYuv420`): models of an even
   * scale. The built-in 2x models convert inside the model (`runYuv420`); other models' RGB output is converted after it.
   */
  yuv420: boolean
  provider: Provider
  /** How windows relate to the picture (padding, border, alignment): nothing for built-in and plain ONNX models. */
  geometry: WindowGeometry
  /** How `geometry.padding` is filled: repeated edge pixels, a mirror, or zeros. */
  paddingMode: PaddingMode
  /** How alpha is upscaled: through the model as a grey picture, or bicubic (ncnn imports, as their programs do). */
  alpha: 'model' | 'bicubic'
  /** The model averages features over the whole picture (squeeze-and-excitation): tiled passes then run it once per pooling to stay exact. */
  globalPooling: boolean
  /** Estimated inference memory per input pixel of a window, when known (imported models); sizes tiles when `tile` is 'auto'. */
  bytesPerPixel?: number
  /** For models made by our importer: the conversion's metadata (scale, border, padding, poolings, origin). */
  imported?: ImportedModelMetadata
}

/** One model pass over a picture's windows: `run` upscales the window of `tile`. */
export interface ModelPass {
  run(window: RgbImage, tile: Tile): Promise<RgbImage>
}

export interface SessionOptions extends ModelStoreOptions {
  /** Built-in model id, path to an .onnx file, or the name of an imported model (in `modelsDir`). */
  model?: string
  provider?: Provider
  /** onnxruntime intra-op threads of this session. */
  threads?: number
  /** Receives one-line warnings (provider fallback). */
  onWarning?: (message: string) => void
}

/** Interleaved (HWC) RGB samples: what a model session takes and returns. */
export type RgbImage = RawImage<Uint8Array | Uint16Array>

/** Probe size for dynamic models: small enough to be instant, large enough for any downsampling body. */
const PROBE_SIZE = 32

/**
 * How a model's sessions take images. Built-in models are built for integer samples, so layout and
 * type conversions run inside onnxruntime; one session per sample type (and Y'CbCr output), created
 * on first use. Imported models take NCHW float planes in 0..1, converted here.
 */
type Sessions =
  | { kind: 'samples'; byOutput: Map<string, Promise<ort.InferenceSession>>; create(type: SampleType, yuv420?: YuvColor): Promise<ort.InferenceSession> }
  | { kind: 'planes'; session: ort.InferenceSession }
  | { kind: 'pooled'; network: PooledNetwork }

/** What built-in and plain ONNX models need around them: nothing. */
const PLAIN = { geometry: PLAIN_GEOMETRY, paddingMode: 'edge', alpha: 'model', globalPooling: false } as const

/** The key of a built-in model's session: its sample type, and its Y'CbCr output if any. */
function outputKey(type: SampleType, yuv420?: YuvColor): string {
  return yuv420 ? `${type} ${yuv420Format(yuv420)} ${yuv420.matrix} ${yuv420.range}` : type
}

/** One image super-resolution model on onnxruntime, with its input/output discovered. */
export class ModelSession {
  private inferenceTime = 0

  private constructor(
    private readonly sessions: Sessions,
    readonly info: ModelInfo,
  ) {}

  static async load(options: SessionOptions = {}): Promise<ModelSession> {
    const id = options.model ?? DEFAULT_MODEL
    const resolved = resolveModel(id, options)
    if (resolved.kind === 'builtin') return ModelSession.loadBuiltin(id, options)
    return ModelSession.fromBytes(id, readFileSync(resolved.file), options)
  }

  /** Loads an ONNX model from its bytes: one made by our importer (its metadata says how to run it) or any other. */
  static async fromBytes(id: string, bytes: Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
    const imported = readImportedMetadata(bytes, id)
    const { session, provider } = await createSession(id, bytes, options)
    if (imported) return ModelSession.loadImported(id, bytes, imported, session, { ...options, provider })
    const model = new ModelSession({ kind: 'planes', session }, { ...describeModel(id, session), scale: 0, yuv420: false, provider, ...PLAIN })
    model.info.scale = await model.probeScale(session)
    model.info.yuv420 = model.info.scale % 2 === 0
    return model
  }

  private static async loadBuiltin(id: string, options: SessionOptions): Promise<ModelSession> {
    const builtin = findBuiltinModel(id)!
    const first: SampleType = 'uint8'
    const { session, provider } = await createSession(id, builtin.build(first), options)
    const create = async (type: SampleType, yuv420?: YuvColor) => (await createSession(id, builtin.build(type, yuv420), { ...options, provider })).session
    const sessions: Sessions = { kind: 'samples', byOutput: new Map([[outputKey(first), Promise.resolve(session)]]), create }
    const names = { inputName: session.inputNames[0], outputName: session.outputNames[0] }
    const { scale, receptiveRadius } = builtin
    return new ModelSession(sessions, { id, ...names, dtype: 'float32', scale, receptiveRadius, yuv420: scale % 2 === 0, provider, ...PLAIN })
  }

  private static async loadImported(id: string, bytes: Uint8Array, imported: ImportedModelMetadata, session: ort.InferenceSession, options: SessionOptions & { provider: Provider }): Promise<ModelSession> {
    const { scale, border, receptiveRadius, align, padding, alpha, pools } = imported
    const info: ModelInfo = {
      ...describeModel(id, session),
      scale,
      receptiveRadius,
      yuv420: scale % 2 === 0,
      provider: options.provider,
      geometry: { padding: padding.size, border, align, minWindow: imported.minWindow },
      paddingMode: padding.mode,
      alpha,
      globalPooling: pools.length > 0,
      bytesPerPixel: imported.bytesPerPixel,
      imported,
    }
    const whole = new ModelSession({ kind: 'planes', session }, info)
    await whole.checkGeometry(session)
    if (pools.length === 0) return whole
    // Models with global pooling run as cut models (see PooledNetwork); the whole graph is not needed.
    await session.release()
    const pooled: ModelSession = new ModelSession(
      { kind: 'pooled', network: new PooledNetwork(bytes, imported, async (cut) => (await createSession(id, cut, options)).session, (cut, feeds) => pooled.inferFeeds(cut, feeds)) },
      info,
    )
    return pooled
  }

  /** Milliseconds spent inside onnxruntime's session.run since the model was loaded. */
  get inferenceMs(): number {
    return this.inferenceTime
  }

  /** Upscales one RGB image (a tile) by the model's scale; samples keep their type. */
  async run(image: RgbImage): Promise<RgbImage> {
    if (image.channels !== 3) throw new UpscaleError('E_INVALID_ARGUMENT', `Expected 3 channels (RGB) for a model input but received ${image.channels}`)
    if (this.sessions.kind === 'pooled') return this.runPooled(image, this.sessions.network)
    return this.sessions.kind === 'samples' ? this.runSamples(image, this.sessions) : this.runPlanes(image, this.sessions.session)
  }

  /**
   * Starts a pass over one picture whose windows `read` gives. Most models run each window on its
   * own; a model with global pooling first computes the picture's means over all the windows,
   * keeping their intermediate results when `hold` says they fit in memory (see PooledNetwork).
   */
  async beginPass(picture: PicturePlan, read: (tile: Tile) => RgbImage, options: { hold: boolean }): Promise<ModelPass> {
    if (this.sessions.kind !== 'pooled') return { run: (window) => this.run(window) }
    const { network } = this.sessions
    if (options.hold || picture.tiles.length === 1) {
      const finish = await network.chained(picture, (tile) => planesOf(read(tile)))
      return { run: async (window, tile) => this.fromNetwork(await finish(tile), window) }
    }
    const means = await network.means(picture, (tile) => planesOf(read(tile)))
    return { run: async (window) => this.fromNetwork(await network.run(planesOf(window), means), window) }
  }

  /** True when the model itself returns Y'CbCr 4:2:0 (`runYuv420`): the built-in models, which are 2x. */
  get convertsToYuv420(): boolean {
    return this.sessions.kind === 'samples'
  }

  /**
   * Upscales one 8- or 16-bit RGB image (a tile) by 2 straight to 8-bit Y'CbCr 4:2:0 with `color`'s
   * matrix and range, the chroma of each 2x2 output block being its mean: what a video encoder
   * takes, with no conversion left to do. Only models that `convertsToYuv420` can.
   */
  async runYuv420(image: RgbImage, color: YuvColor): Promise<Yuv420Image> {
    if (this.sessions.kind !== 'samples') {
      throw new UpscaleError('E_INVALID_ARGUMENT', `Model ${this.info.id} cannot output yuv420p itself (only the built-in 2x models can); convert its RGB output instead`)
    }
    assertYuvColor('color', color)
    if (image.channels !== 3) throw new UpscaleError('E_INVALID_ARGUMENT', `Expected RGB (3 channels) for yuv420p output but received ${image.channels} channels`)
    const type = sampleTypeOf(image.data)
    const output = await this.infer(await this.sessionFor(this.sessions, type, color), new ort.Tensor(type, image.data, [1, image.height, image.width, 3]), image)
    return { format: yuv420Format(color), data: output.data as Uint8Array | Uint16Array, width: 2 * image.width, height: 2 * image.height, ...color }
  }

  async release(): Promise<void> {
    if (this.sessions.kind === 'planes') return this.sessions.session.release()
    if (this.sessions.kind === 'pooled') return this.sessions.network.release()
    const sessions = await Promise.allSettled(this.sessions.byOutput.values())
    await Promise.all(sessions.map((session) => (session.status === 'fulfilled' ? session.value.release() : undefined)))
  }

  private async runSamples(image: RgbImage, sessions: Extract<Sessions, { kind: 'samples' }>): Promise<RgbImage> {
    const type = sampleTypeOf(image.data)
    const output = await this.infer(await this.sessionFor(sessions, type), new ort.Tensor(type, image.data, [1, image.height, image.width, 3]), image)
    const [, height, width] = output.dims
    return { data: output.data as Uint8Array | Uint16Array, width, height, channels: 3 }
  }

  private sessionFor(sessions: Extract<Sessions, { kind: 'samples' }>, type: SampleType, yuv420?: YuvColor): Promise<ort.InferenceSession> {
    const key = outputKey(type, yuv420)
    let session = sessions.byOutput.get(key)
    if (!session) {
      session = sessions.create(type, yuv420)
      sessions.byOutput.set(key, session)
    }
    return session
  }

  /** A window run on its own through a model with global pooling: its means are the window's. */
  private async runPooled(image: RgbImage, network: PooledNetwork): Promise<RgbImage> {
    const { width, height } = image
    const tile = { x0: 0, y0: 0, x1: width, y1: height, windowX: 0, windowY: 0, windowWidth: width, windowHeight: height, resultX: 0, resultY: 0 }
    const finish = await network.chained({ tiles: [tile], padding: 0, paddedWidth: width, paddedHeight: height }, () => planesOf(image))
    return this.fromNetwork(await finish(tile), image)
  }

  /** A network output tensor (NCHW float planes) → samples of the window's type. */
  private fromNetwork(output: ort.Tensor, window: RgbImage): RgbImage {
    const [, , height, width] = output.dims
    const max = maxSample(sampleTypeOf(window.data))
    return fromPlanes(output.data as Float32Array, width, height, window.data instanceof Uint8Array ? new Uint8Array(width * height * 3) : new Uint16Array(width * height * 3), max)
  }

  private async runPlanes(image: RgbImage, session: ort.InferenceSession): Promise<RgbImage> {
    const max = maxSample(sampleTypeOf(image.data))
    const { planes, width, height } = await this.inferPlanes(session, toPlanes(image, max), image.width, image.height)
    return fromPlanes(planes, width, height, image.data instanceof Uint8Array ? new Uint8Array(width * height * 3) : new Uint16Array(width * height * 3), max)
  }

  /** Runs NCHW float planes (0..1) through an imported model; returns float32 planes whatever its dtype. */
  private async inferPlanes(session: ort.InferenceSession, planes: Float32Array, width: number, height: number): Promise<{ planes: Float32Array; width: number; height: number }> {
    const { dtype } = this.info
    const input = dtype === 'float16' ? new ort.Tensor('float16', float32ToFloat16(planes), [1, 3, height, width]) : new ort.Tensor('float32', planes, [1, 3, height, width])
    const output = await this.infer(session, input, { width, height })
    const [, channels, outHeight, outWidth] = output.dims
    if (output.dims.length !== 4 || channels !== 3) {
      throw new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${this.info.id} returned shape [${output.dims.join(', ')}]; expected [1, 3, height, width]`)
    }
    const outPlanes = dtype === 'float16' ? float16ToFloat32(output.data as Uint16Array) : (output.data as Float32Array)
    return { planes: outPlanes, width: outWidth, height: outHeight }
  }

  private async infer(session: ort.InferenceSession, input: ort.Tensor, size: { width: number; height: number }): Promise<ort.Tensor> {
    try {
      return (await this.inferFeeds(session, { [this.info.inputName]: input }, size))[this.info.outputName]
    } finally {
      input.dispose()
    }
  }

  /** Runs `session`, counting the time; errors name the model and the input size. */
  private async inferFeeds(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, size?: { width: number; height: number }): Promise<Record<string, ort.Tensor>> {
    const started = performance.now()
    const [, , height, width] = feeds[this.info.inputName]?.dims ?? []
    try {
      return await session.run(feeds)
    } catch (error) {
      const input = size ?? { width, height }
      throw new UpscaleError('E_INFERENCE', `Model ${this.info.id} failed on a ${input.width}x${input.height} input: ${firstLine(error)}`, { cause: error })
    } finally {
      this.inferenceTime += performance.now() - started
    }
  }

  /** Checks an imported model's metadata against the model itself: its smallest window must give scale·(L − 2·border) pixels. */
  private async checkGeometry(session: ort.InferenceSession): Promise<void> {
    const { align, minWindow, border } = this.info.geometry
    const size = Math.ceil(minWindow / align) * align
    const output = await this.inferPlanes(session, new Float32Array(3 * size * size).fill(0.5), size, size)
    const expected = this.info.scale * (size - 2 * border)
    if (output.width !== expected || output.height !== expected) {
      throw new UpscaleError('E_MODEL_INVALID', `Model ${this.info.id} turns ${size}x${size} into ${output.width}x${output.height} but its metadata says ${expected}x${expected}; import it again`)
    }
  }

  private async probeScale(session: ort.InferenceSession): Promise<number> {
    const width = this.info.fixedSize?.width ?? PROBE_SIZE
    const height = this.info.fixedSize?.height ?? PROBE_SIZE
    const output = await this.inferPlanes(session, new Float32Array(3 * width * height).fill(0.5), width, height)
    const scale = output.width / width
    if (!Number.isInteger(scale) || scale < 1 || output.height / height !== scale) {
      throw new UpscaleError(
        'E_MODEL_UNSUPPORTED',
        `Model ${this.info.id} turns ${width}x${height} into ${output.width}x${output.height}: not a single-image super-resolution model with one integer scale`,
      )
    }
    return scale
  }
}

/** Creates a session on the requested provider, falling back to CPU (with a warning) when it is not available. */
async function createSession(id: string, bytes: Uint8Array, options: SessionOptions): Promise<{ session: ort.InferenceSession; provider: Provider }> {
  let provider = options.provider ?? 'cpu'
  const reason = providerUnavailableReason(provider)
  if (reason) {
    options.onWarning?.(fallbackWarning(provider, reason))
    provider = 'cpu'
  }
  // See createUpscaler: onnxruntime's telemetry leaves files in the temp folder; off unless the user set it.
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // A memory pattern is planned and kept per input shape; tiles come in several shapes, so it held
    // two-thirds more memory (2.8 GB peak for a 1080p run, 1.7 without) and made first calls slow.
    enableMemPattern: false,
    logSeverityLevel: 3,
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, sessionOptions), provider }
  } catch (error) {
    if (provider !== 'cpu') {
      options.onWarning?.(fallbackWarning(provider, firstLine(error)))
      return createSession(id, bytes, { ...options, provider: 'cpu' })
    }
    throw new UpscaleError('E_MODEL_INVALID', `Could not load model ${id}: it is not a valid ONNX model (${firstLine(error)})`, { cause: error })
  }
}

function maxSample(type: SampleType): number {
  return type === 'uint8' ? 255 : 65535
}

function planesOf(window: RgbImage): PlaneWindow {
  return { planes: toPlanes(window, maxSample(sampleTypeOf(window.data))), width: window.width, height: window.height }
}

/** Interleaved samples → NCHW float planes in 0..1. */
function toPlanes(image: RgbImage, max: number): Float32Array {
  const { data } = image
  const plane = image.width * image.height
  const planes = new Float32Array(3 * plane)
  const inv = 1 / max
  for (let p = 0, s = 0; p < plane; p++, s += 3) {
    planes[p] = data[s] * inv
    planes[plane + p] = data[s + 1] * inv
    planes[2 * plane + p] = data[s + 2] * inv
  }
  return planes
}

/** NCHW float planes in 0..1 → interleaved samples, rounded and clamped to 0..max. */
function fromPlanes<T extends Uint8Array | Uint16Array>(planes: Float32Array, width: number, height: number, samples: T, max: number): RgbImage {
  const plane = width * height
  for (let p = 0, d = 0; p < plane; p++, d += 3) {
    samples[d] = clampRound(planes[p] * max, max)
    samples[d + 1] = clampRound(planes[plane + p] * max, max)
    samples[d + 2] = clampRound(planes[2 * plane + p] * max, max)
  }
  return { data: samples, width, height, channels: 3 }
}

function clampRound(value: number, max: number): number {
  return value <= 0 ? 0 : value >= max ? max : Math.round(value)
}

function describeModel(id: string, session: ort.InferenceSession): Pick<ModelInfo, 'id' | 'inputName' | 'outputName' | 'dtype' | 'fixedSize'> {
  const inputs = session.inputMetadata
  const outputs = session.outputMetadata
  if (inputs.length !== 1 || outputs.length < 1) {
    throw unsupported(id, `it has ${inputs.length} inputs and ${outputs.length} outputs; an image model has one image input and one image output`)
  }
  const input = inputs[0]
  const output = outputs[0]
  if (!input.isTensor || !output.isTensor) throw unsupported(id, 'its input or output is not a tensor')
  if (input.type !== 'float32' && input.type !== 'float16') {
    throw unsupported(id, `its input is ${input.type}; expected float32 or float16 RGB in 0..1`)
  }
  for (const [role, meta] of [['input', input], ['output', output]] as const) {
    if (meta.shape.length !== 4) throw unsupported(id, `its ${role} has rank ${meta.shape.length} [${meta.shape.join(', ')}]; expected NCHW [1, 3, height, width]`)
    const channels = meta.shape[1]
    if (typeof channels === 'number' && channels !== 3) throw unsupported(id, `its ${role} has ${channels} channels; expected 3 (RGB)`)
  }
  const [, , height, width] = input.shape
  const fixedSize = typeof width === 'number' && typeof height === 'number' && width > 0 && height > 0 ? { width, height } : undefined
  return { id, inputName: input.name, outputName: output.name, dtype: input.type, fixedSize }
}

function unsupported(id: string, why: string): UpscaleError {
  return new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${id} is not a supported image super-resolution model: ${why}`)
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].trim()
}
