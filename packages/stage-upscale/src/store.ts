/**
 * The user's model folder: imported models by name, each in its own folder (`NAME/model.onnx` and
 * `NAME/model.json`, the listing). An import is written to a temporary folder inside the models
 * folder and renamed into place, so a failed import stores nothing and a listing never sees half
 * a model.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { UpscaleError } from './errors'
import { findBuiltinModel, listModels } from './models'

/** Where imported models live. */
export interface ModelStoreOptions {
  /** Default: `defaultModelsDir()`. */
  modelsDir?: string
}

/** Rough speed from the floating-point operations per output pixel (docs/models.md has the measured ms per megapixel). */
export type SpeedClass = 'fast' | 'medium' | 'slow' | 'very slow' | 'unknown'

/** An imported model as the listing shows it. */
export interface ImportedModel {
  name: string
  /** The stored ONNX file (what `model: name` loads). */
  file: string
  scale: number
  /** Size of the stored file in bytes. */
  bytes: number
  /** Input pixels around a pixel that influence it; undefined for ONNX imports (their graph is not analysed). */
  receptiveRadius?: number
  flopsPerOutputPixel?: number
  speed: SpeedClass
  /** What it was imported from: the format, the file names and, for ncnn, the program whose processing it reproduces. */
  origin: { format: 'ncnn' | 'onnx'; files: string[]; program?: string }
  /** ISO date of the import. */
  importedAt: string
}

/** What `model.json` holds: the listing without the file location. */
export type StoredListing = Omit<ImportedModel, 'file' | 'bytes'>

const MODEL_FILE = 'model.onnx'
const LISTING_FILE = 'model.json'
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The default models folder: `$XDG_DATA_HOME/anime-upscaler/models` (`~/.local/share/…` without
 * it) on Linux and other Unixes, `~/Library/Application Support/anime-upscaler/models` on macOS,
 * `%LOCALAPPDATA%\anime-upscaler\models` on Windows.
 */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'anime-upscaler', 'models')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'anime-upscaler', 'models')
  const data = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(home, '.local', 'share')
  return join(data, 'anime-upscaler', 'models')
}

export function modelsDirOf(options: ModelStoreOptions = {}): string {
  return resolve(options.modelsDir ?? defaultModelsDir())
}

export function speedClass(flopsPerOutputPixel: number | undefined): SpeedClass {
  if (flopsPerOutputPixel === undefined) return 'unknown'
  if (flopsPerOutputPixel <= 10_000) return 'fast'
  if (flopsPerOutputPixel <= 100_000) return 'medium'
  if (flopsPerOutputPixel <= 500_000) return 'slow'
  return 'very slow'
}

/** Throws unless `name` can name an imported model (letters, digits, '.', '_', '-'; not a built-in id). */
export function assertModelName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new UpscaleError('E_INVALID_ARGUMENT', `Expected a model name of 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit) but received ${JSON.stringify(name)}`)
  }
  if (findBuiltinModel(name)) throw new UpscaleError('E_INVALID_ARGUMENT', `'${name}' is a built-in model; give the import another name`)
}

/** A default name for a model imported from `file`: its base name, prefixed by its folder when the base name is generic (waifu2x's "scale2.0x_model"). */
export function defaultModelName(file: string): string {
  const base = basename(file, extname(file))
  const folder = basename(dirname(resolve(file))).replace(/^models[-_]?/, '')
  const name = /model/i.test(base) && folder ? `${folder}-${base}` : base
  return (
    name
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
      .slice(0, 64) || 'model'
  )
}

function readListing(dir: string, name: string): ImportedModel | undefined {
  const folder = join(dir, name)
  try {
    const listing = JSON.parse(readFileSync(join(folder, LISTING_FILE), 'utf8')) as StoredListing
    const file = join(folder, MODEL_FILE)
    return { ...listing, name, file, bytes: statSync(file).size }
  } catch {
    return undefined
  }
}

/** Every imported model in the models folder, by name. A folder that does not exist holds none. */
export function listImportedModels(options: ModelStoreOptions = {}): ImportedModel[] {
  const dir = modelsDirOf(options)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => NAME_PATTERN.test(name))
    .sort()
    .flatMap((name) => readListing(dir, name) ?? [])
}

/** The imported model called `name`, if there is one. */
export function findImportedModel(name: string, options: ModelStoreOptions = {}): ImportedModel | undefined {
  return NAME_PATTERN.test(name) ? readListing(modelsDirOf(options), name) : undefined
}

/** Deletes the imported model `name`. */
export function removeModel(name: string, options: ModelStoreOptions = {}): void {
  const dir = modelsDirOf(options)
  if (!findImportedModel(name, options)) {
    const known = listImportedModels(options).map((m) => m.name)
    throw new UpscaleError('E_MODEL_NOT_FOUND', `No imported model '${name}' in ${dir}${known.length ? ` (imported: ${known.join(', ')})` : ' (it holds none)'}`)
  }
  const trash = join(dir, `.removing-${randomBytes(6).toString('hex')}`)
  renameSync(join(dir, name), trash)
  rmSync(trash, { recursive: true, force: true })
}

function unwritable(dir: string, error: unknown): UpscaleError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error'
  return new UpscaleError('E_INVALID_ARGUMENT', `The models folder ${dir} is not writable (${code}); choose another with --models-dir (modelsDir)`, { cause: error })
}

/**
 * Stores `onnx` with its listing as model `name`, atomically: written to a temporary folder in the
 * models folder, then renamed. An existing model of that name is replaced only with `force`.
 */
export function storeModel(name: string, onnx: Uint8Array, listing: Omit<StoredListing, 'name'>, options: ModelStoreOptions & { force?: boolean } = {}): ImportedModel {
  assertModelName(name)
  const dir = modelsDirOf(options)
  const target = join(dir, name)
  if (existsSync(target) && !options.force) {
    throw new UpscaleError('E_INVALID_ARGUMENT', `A model named '${name}' is already imported (${target}); pass --force (force: true) to replace it, or choose another --name`)
  }
  const temporary = join(dir, `.importing-${randomBytes(6).toString('hex')}`)
  const replaced = join(dir, `.replacing-${randomBytes(6).toString('hex')}`)
  try {
    mkdirSync(temporary, { recursive: true })
    writeFileSync(join(temporary, MODEL_FILE), onnx)
    writeFileSync(join(temporary, LISTING_FILE), `${JSON.stringify({ name, ...listing }, null, 2)}\n`)
    if (existsSync(target)) renameSync(target, replaced)
    renameSync(temporary, target)
  } catch (error) {
    // Nothing new may be left, and a replaced model comes back. A folder that could not be made needs no cleaning.
    if (existsSync(temporary)) rmSync(temporary, { recursive: true, force: true })
    if (existsSync(replaced) && !existsSync(target)) renameSync(replaced, target)
    throw unwritable(dir, error)
  }
  if (existsSync(replaced)) rmSync(replaced, { recursive: true, force: true })
  return readListing(dir, name)!
}

/** How `model` (a built-in id, a path or an imported name) resolves: what ModelSession loads. */
export type ResolvedModel = { kind: 'builtin'; id: string } | { kind: 'file'; file: string } | { kind: 'imported'; file: string; model: ImportedModel }

/** True when `model` should be read as a path rather than a name. */
function looksLikePath(model: string): boolean {
  return /[\\/]/.test(model) || /\.onnx$/i.test(model)
}

/**
 * Resolves a model option: a built-in id, the path of an .onnx file (anything with a slash or
 * ending in .onnx), or the name of an imported model in the models folder.
 */
export function resolveModel(model: string, options: ModelStoreOptions = {}): ResolvedModel {
  if (findBuiltinModel(model)) return { kind: 'builtin', id: model }
  const imported = looksLikePath(model) ? undefined : findImportedModel(model, options)
  if (imported) return { kind: 'imported', file: imported.file, model: imported }
  if (existsSync(model)) {
    if (statSync(model).isDirectory()) throw new UpscaleError('E_MODEL_NOT_FOUND', `Model path ${model} is a directory; give the path of an .onnx file`)
    return { kind: 'file', file: model }
  }
  const builtins = listModels().map((m) => m.id).join(', ')
  if (looksLikePath(model)) throw new UpscaleError('E_MODEL_NOT_FOUND', `Model not found: '${model}' is neither a built-in model (${builtins}) nor an existing .onnx file`)
  const names = listImportedModels(options).map((m) => m.name)
  throw new UpscaleError(
    'E_MODEL_NOT_FOUND',
    `Model not found: '${model}' is neither a built-in model (${builtins}), an imported model in ${modelsDirOf(options)} (${names.length ? names.join(', ') : 'none imported'}) nor an existing .onnx file`,
  )
}
