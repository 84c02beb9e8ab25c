import { existsSync, readFileSync, statSync } from 'node:fs'
import * as ort from 'onnxruntime-node'
import { UpscaleError } from './errors'
import { float16ToFloat32, float32ToFloat16 } from './float16'
import { DEFAULT_MODEL, findBuiltinModel, listModels } from './models'
import { fallbackWarning, providerUnavailableReason, type Provider } from './providers'

/** What stage-upscale discovered about a model: nothing here is configured by hand. */
export interface ModelInfo {
  /** Built-in id, or the path of the .onnx file. */
  id: string
  inputName: string
  outputName: string
  dtype: 'float32' | 'float16'
  /** Output size / input size of one pass. */
  scale: number
  /** Set when the model only accepts one input size: tiles are then exactly this size. */
  fixedSize?: { width: number; height: number }
  /** Known receptive radius in input pixels (built-in models); undefined for imported models. */
  receptiveRadius?: number
  provider: Provider
}

export interface SessionOptions {
  /** Built-in model id or path to an .onnx file. */
  model?: string
  provider?: Provider
  /** onnxruntime intra-op threads of this session. */
  threads?: number
  /** Receives one-line warnings (provider fallback). */
  onWarning?: (message: string) => void
}

/** Probe size for dynamic models: small enough to be instant, large enough for any downsampling body. */
const PROBE_SIZE = 32

/** One onnxruntime session of an image super-resolution model, with its input/output discovered. */
export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: ModelInfo,
  ) {}

  static async load(options: SessionOptions = {}): Promise<ModelSession> {
    const id = options.model ?? DEFAULT_MODEL
    const bytes = readModelBytes(id)
    let provider = options.provider ?? 'cpu'
    const reason = providerUnavailableReason(provider)
    if (reason) {
      options.onWarning?.(fallbackWarning(provider, reason))
      provider = 'cpu'
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    }
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions)
    } catch (error) {
      if (provider !== 'cpu') {
        options.onWarning?.(fallbackWarning(provider, firstLine(error)))
        return ModelSession.load({ ...options, provider: 'cpu' })
      }
      throw new UpscaleError('E_MODEL_INVALID', `Could not load model ${id}: it is not a valid ONNX model (${firstLine(error)})`, { cause: error })
    }
    const partial = describeModel(id, session)
    const builtin = findBuiltinModel(id)
    const model = new ModelSession(session, { ...partial, scale: builtin?.scale ?? 0, receptiveRadius: builtin?.receptiveRadius, provider })
    if (model.info.scale === 0) model.info.scale = await model.probeScale()
    return model
  }

  /**
   * Runs one NCHW float tile (values 0..1) through the model.
   * Returns the output planes as float32 whatever the model's dtype.
   */
  async run(planes: Float32Array, width: number, height: number): Promise<{ planes: Float32Array; width: number; height: number }> {
    const { inputName, outputName, dtype } = this.info
    const input =
      dtype === 'float16'
        ? new ort.Tensor('float16', float32ToFloat16(planes), [1, 3, height, width])
        : new ort.Tensor('float32', planes, [1, 3, height, width])
    let result: ort.InferenceSession.OnnxValueMapType
    try {
      result = await this.session.run({ [inputName]: input })
    } catch (error) {
      throw new UpscaleError('E_INFERENCE', `Model ${this.info.id} failed on a ${width}x${height} input: ${firstLine(error)}`, { cause: error })
    } finally {
      input.dispose()
    }
    const output = result[outputName]
    const [, channels, outHeight, outWidth] = output.dims
    if (output.dims.length !== 4 || channels !== 3) {
      throw new UpscaleError('E_MODEL_UNSUPPORTED', `Model ${this.info.id} returned shape [${output.dims.join(', ')}]; expected [1, 3, height, width]`)
    }
    const data = output.data
    const outPlanes = dtype === 'float16' ? float16ToFloat32(data as Uint16Array) : (data as Float32Array)
    return { planes: outPlanes, width: outWidth, height: outHeight }
  }

  async release(): Promise<void> {
    await this.session.release()
  }

  private async probeScale(): Promise<number> {
    const width = this.info.fixedSize?.width ?? PROBE_SIZE
    const height = this.info.fixedSize?.height ?? PROBE_SIZE
    const output = await this.run(new Float32Array(3 * width * height).fill(0.5), width, height)
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

function readModelBytes(id: string): Uint8Array {
  const builtin = findBuiltinModel(id)
  if (builtin) return builtin.build()
  if (!existsSync(id)) {
    const known = listModels().map((m) => m.id).join(', ')
    throw new UpscaleError('E_MODEL_NOT_FOUND', `Model not found: '${id}' is neither a built-in model (${known}) nor an existing .onnx file`)
  }
  if (statSync(id).isDirectory()) throw new UpscaleError('E_MODEL_NOT_FOUND', `Model path ${id} is a directory; give the path of an .onnx file`)
  return readFileSync(id)
}

function describeModel(id: string, session: ort.InferenceSession): Omit<ModelInfo, 'scale' | 'receptiveRadius' | 'provider'> {
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
