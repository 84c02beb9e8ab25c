import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildAnime4kOnnx,
  defaultModelName,
  defaultModelsDir,
  findImportedModel,
  importModel,
  listImportedModels,
  loadAnime4kWeights,
  removeModel,
  resolveModel,
  UpscaleEngine,
} from '../src'
import { compactNetwork, writeModel } from './helpers/synthetic-models'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'model-store-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('defaultModelsDir', () => {
  test('follows XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows', () => {
    expect(defaultModelsDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u')).toBe('/data/anime-upscaler/models')
    expect(defaultModelsDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/anime-upscaler/models')
    expect(defaultModelsDir({ XDG_DATA_HOME: 'relative' }, 'freebsd', '/home/u')).toBe('/home/u/.local/share/anime-upscaler/models')
    expect(defaultModelsDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/anime-upscaler/models')
    expect(defaultModelsDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toMatch(/anime-upscaler.models$/)
  })
})

describe('defaultModelName', () => {
  test('is the file name, prefixed by its folder when the file name is generic', () => {
    expect(defaultModelName('/m/realcugan/models-se/up2x-conservative.param')).toBe('up2x-conservative')
    expect(defaultModelName('/m/waifu2x/models-cunet/scale2.0x_model.param')).toBe('cunet-scale2.0x_model')
    expect(defaultModelName('/m/x/my art!.onnx')).toBe('my-art')
  })
})

describe('importing, listing, resolving and removing models', () => {
  test('an ncnn import is stored, listed with its metadata, resolved by name and removed', async () => {
    const param = writeModel(dir, 'compact', compactNetwork())
    const models = join(dir, 'models')
    const stored = await importModel(param, { modelsDir: models })
    expect(stored).toMatchObject({ name: 'compact', scale: 2, speed: 'fast', origin: { format: 'ncnn', files: ['compact.param', 'compact.bin'], program: 'realesrgan-ncnn-vulkan' } })
    expect(stored.receptiveRadius).toBeGreaterThan(0)
    expect(stored.bytes).toBeGreaterThan(1000)
    expect(listImportedModels({ modelsDir: models })).toEqual([stored])
    expect(resolveModel('compact', { modelsDir: models })).toMatchObject({ kind: 'imported', file: stored.file })
    expect(resolveModel('anime4k-s', { modelsDir: models })).toEqual({ kind: 'builtin', id: 'anime4k-s' })
    removeModel('compact', { modelsDir: models })
    expect(listImportedModels({ modelsDir: models })).toEqual([])
    expect(readdirSync(models)).toEqual([])
  })

  test('an .onnx import is checked by loading it and listed with its probed scale', async () => {
    const onnx = join(dir, 'a4k.onnx')
    writeFileSync(onnx, buildAnime4kOnnx(loadAnime4kWeights('s')))
    const models = join(dir, 'models')
    const stored = await importModel(onnx, { modelsDir: models, name: 'mine' })
    expect(stored).toMatchObject({ name: 'mine', scale: 2, speed: 'unknown', origin: { format: 'onnx', files: ['a4k.onnx'] } })
    const engine = await UpscaleEngine.create({ model: 'mine', modelsDir: models, threads: 1 })
    await engine.close()
    expect(engine.info.scale).toBe(2)
  })

  test('an existing name is refused without force and replaced with it; nothing else is left behind', async () => {
    const param = writeModel(dir, 'compact', compactNetwork())
    const models = join(dir, 'models')
    const first = await importModel(param, { modelsDir: models, name: 'x' })
    await expect(importModel(param, { modelsDir: models, name: 'x' })).rejects.toThrow(`A model named 'x' is already imported in ${models}; pass --force (force: true) to replace it, or choose another --name`)
    const second = await importModel(param, { modelsDir: models, name: 'x', force: true })
    expect(second.importedAt >= first.importedAt).toBe(true)
    expect(readdirSync(models)).toEqual(['x'])
    expect(readdirSync(join(models, 'x')).sort()).toEqual(['model.json', 'model.onnx'])
  })

  test('a failed import stores nothing', async () => {
    const param = writeModel(dir, 'compact', compactNetwork())
    writeFileSync(join(dir, 'compact.bin'), new Uint8Array(10))
    const models = join(dir, 'models')
    await expect(importModel(param, { modelsDir: models })).rejects.toMatchObject({ code: 'E_MODEL_INVALID' })
    expect(existsSync(models) ? readdirSync(models) : []).toEqual([])
  })

  test('a models folder that cannot be created or written is reported as such', async () => {
    const param = writeModel(dir, 'compact', compactNetwork())
    writeFileSync(join(dir, 'file'), 'not a folder')
    const models = join(dir, 'file', 'models')
    await expect(importModel(param, { modelsDir: models })).rejects.toThrow(`The models folder ${models} is not writable (ENOTDIR); choose another with --models-dir (modelsDir)`)
  })

  test('names are validated, built-in ids are reserved, and unknown names say what exists', async () => {
    const models = join(dir, 'models')
    mkdirSync(models)
    await expect(importModel(join(dir, 'x.param'), { modelsDir: models, name: '../escape' })).rejects.toThrow('Expected a model name of 1-64 letters')
    await expect(importModel(join(dir, 'x.param'), { modelsDir: models, name: 'anime4k-l' })).rejects.toThrow("'anime4k-l' is a built-in model; give the import another name")
    await expect(importModel(join(dir, 'x.txt'), { modelsDir: models })).rejects.toThrow('Expected an ncnn .param file (with its .bin) or an .onnx file but received')
    await expect(importModel(join(dir, 'x.param'), { modelsDir: models })).rejects.toMatchObject({ code: 'E_MODEL_NOT_FOUND', message: `${join(dir, 'x.param')} does not exist` })
    expect(() => resolveModel('nothing', { modelsDir: models })).toThrow(`Model not found: 'nothing' is neither a built-in model (anime4k-s, anime4k-l), an imported model in ${models} (none imported) nor an existing .onnx file`)
    expect(() => removeModel('nothing', { modelsDir: models })).toThrow(`No imported model 'nothing' in ${models} (it holds none)`)
    expect(findImportedModel('nothing', { modelsDir: models })).toBeUndefined()
  })
})
