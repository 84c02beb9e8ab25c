import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { UpscaleError } from './errors'
import type { ImportedModelMetadata } from './model-metadata'
import { convertNcnnModel } from './ncnn/convert'
import type { WeightStorage } from './ncnn/graph'
import { ModelSession } from './session'
import { assertModelName, defaultModelName, findImportedModel, modelsDirOf, speedClass, storeModel, type ImportedModel, type ModelStoreOptions, type StoredListing } from './store'

export interface ImportModelOptions extends ModelStoreOptions {
  /** Name to use it by (`model: name`); default: from the file name (see `defaultModelName`). */
  name?: string
  /** Replace an imported model of the same name. */
  force?: boolean
  /** How ncnn's float16 weights are stored: 'float16' (default, exact and half the size) or 'float32'. */
  weights?: WeightStorage
}

function readInput(file: string): Uint8Array {
  if (!existsSync(file)) throw new UpscaleError('E_MODEL_NOT_FOUND', `${file} does not exist`)
  if (statSync(file).isDirectory()) throw new UpscaleError('E_MODEL_NOT_FOUND', `${file} is a directory; give a model file`)
  return readFileSync(file)
}

/** Loads the converted model once (its metadata is checked against the graph) and lets it go. */
async function validate(name: string, onnx: Uint8Array): Promise<ModelSession['info']> {
  const session = await ModelSession.fromBytes(name, onnx, { threads: 1 })
  await session.release()
  return session.info
}

function ncnnListing(metadata: ImportedModelMetadata): Omit<StoredListing, 'name'> {
  const { scale, receptiveRadius, flopsPerOutputPixel, origin } = metadata
  return { scale, receptiveRadius, flopsPerOutputPixel, speed: speedClass(flopsPerOutputPixel), origin, importedAt: new Date().toISOString() }
}

async function importNcnn(param: string, bin: string, name: string, weights: WeightStorage | undefined): Promise<{ onnx: Uint8Array; listing: Omit<StoredListing, 'name'> }> {
  const { onnx, metadata } = convertNcnnModel(readInput(param), readInput(bin), { param, bin }, { weights })
  await validate(name, onnx)
  return { onnx, listing: ncnnListing(metadata) }
}

async function importOnnx(file: string, name: string): Promise<{ onnx: Uint8Array; listing: Omit<StoredListing, 'name'> }> {
  const onnx = readInput(file)
  const info = await validate(name, onnx)
  if (info.imported) return { onnx, listing: ncnnListing(info.imported) }
  return { onnx, listing: { scale: info.scale, speed: 'unknown', origin: { format: 'onnx', files: [basename(file)] }, importedAt: new Date().toISOString() } }
}

/**
 * Imports a model into the models folder: an ncnn model (`MODEL.param`, with `MODEL.bin` beside
 * it or given second), converted to ONNX by our converter, or an `.onnx` file, checked by loading
 * it. Nothing is stored when anything fails (bad files, an existing name without `force`, a
 * models folder that is not writable).
 */
export async function importModel(files: string | readonly string[], options: ImportModelOptions = {}): Promise<ImportedModel> {
  const [first, second, ...rest] = typeof files === 'string' ? [files] : files
  if (!first || rest.length > 0) throw new UpscaleError('E_INVALID_ARGUMENT', `Expected MODEL.param [MODEL.bin] or MODEL.onnx but received ${JSON.stringify(files)}`)
  const kind = extname(first).toLowerCase()
  if (kind !== '.param' && kind !== '.onnx') {
    throw new UpscaleError('E_INVALID_ARGUMENT', `Expected an ncnn .param file (with its .bin) or an .onnx file but received ${first}`)
  }
  if (kind === '.onnx' && second) throw new UpscaleError('E_INVALID_ARGUMENT', `An .onnx model is one file; ${second} is not needed`)
  const name = options.name ?? defaultModelName(first)
  assertModelName(name)
  if (findImportedModel(name, options) && !options.force) {
    throw new UpscaleError('E_INVALID_ARGUMENT', `A model named '${name}' is already imported in ${modelsDirOf(options)}; pass --force (force: true) to replace it, or choose another --name`)
  }
  const bin = second ?? `${first.slice(0, -kind.length)}.bin`
  const { onnx, listing } = kind === '.param' ? await importNcnn(first, bin, name, options.weights) : await importOnnx(first, name)
  return storeModel(name, onnx, listing, options)
}
