/**
 * Imports of the ncnn models against the ncnn programs themselves (../shared/models/ncnn): the
 * same pictures through the program and through the import, sample by sample, and the Bird
 * benchmark against the program's stored outputs. See docs/models.md for the figures.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sharp from 'sharp'
import { psnr } from '../../../tools/src/metrics'
import { UpscaleEngine, importModel, type EngineImage, type ImportedModelMetadata, type ImportedModel } from '../src'
import { readImportedMetadata } from '../src/model-metadata'
import { IMAGES, NCNN, RUNNER_MODELS, agreement, readImage, replayTiles, runProgram, runnerSkipReason, veryRoughMeans, type RunnerModel } from './helpers/ncnn-runners'

const skipReason = runnerSkipReason()
const describeNcnn = skipReason ? describe.skip : describe
jest.setTimeout(600_000)

let dir = ''
const imported = new Map<string, { model: ImportedModel; onnx: Uint8Array; metadata: ImportedModelMetadata }>()

async function upscale(name: string, image: EngineImage, options: { tta?: boolean } = {}): Promise<EngineImage> {
  const engine = await UpscaleEngine.create({ model: name, modelsDir: path.join(dir, 'models'), threads: 2, ...options })
  try {
    return await engine.upscale(image)
  } finally {
    await engine.close()
  }
}

const model = (name: string): RunnerModel => RUNNER_MODELS.find((m) => m.name === name)!
const percent = (share: number) => `${(100 * share).toFixed(3)} %`

describeNcnn(`imports agree with the ncnn programs${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ncnn-faithful-'))
    mkdirSync(path.join(dir, 'in'))
    mkdirSync(path.join(dir, 'in-comic'))
    // Two more fixtures, small enough to be one tile of every program: a whole one, and a crop with transparency.
    await sharp(path.join(IMAGES, 'comic_lq_x4.png')).toFile(path.join(dir, 'in/comic.png'))
    await sharp(path.join(IMAGES, 'comic_lq_x4.png')).toFile(path.join(dir, 'in-comic/comic.png'))
    await sharp(path.join(IMAGES, 'pepper_alpha.png')).extract({ left: 320, top: 0, width: 80, height: 80 }).toFile(path.join(dir, 'in/pepper.png'))
    for (const m of RUNNER_MODELS) {
      const stored = await importModel(path.join(NCNN, m.param), { modelsDir: path.join(dir, 'models'), name: m.name })
      const onnx = readFileSync(stored.file)
      imported.set(m.name, { model: stored, onnx, metadata: readImportedMetadata(onnx, m.name)! })
    }
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test.each(RUNNER_MODELS.map((m) => [m.name, m] as const))('%s: the program and the import agree within 2 levels (≥ 99.5 % of samples; RRDBNet ≥ 99 %)', async (name, m) => {
    const output = path.join(dir, `out-${name}`)
    // The slow RRDBNet runs on comic alone (the other Real-ESRGAN models cover the program's alpha handling).
    const files = name === 'x4plus-anime' ? ['comic.png'] : ['comic.png', 'pepper.png']
    await runProgram(m, path.join(dir, files.length === 1 ? 'in-comic' : 'in'), output, { tile: 128 })
    for (const file of files) {
      const ours = await upscale(name, await readImage(path.join(dir, 'in', file)))
      const theirs = await readImage(path.join(output, file))
      const result = agreement(ours, theirs)
      console.log(`${name} ${file}: ${percent(result.within2)} within 2 levels, ${result.wrapped} wrapped of ${result.samples}`)
      expect(result.within2).toBeGreaterThanOrEqual(m.agreement)
    }
  })

  test('CUNet + TTA agrees with waifu2x-ncnn-vulkan -x', async () => {
    const output = path.join(dir, 'out-cunet-tta')
    await runProgram(model('cunet'), path.join(dir, 'in-comic'), output, { tile: 128, tta: true })
    const ours = await upscale('cunet', await readImage(path.join(dir, 'in/comic.png')), { tta: true })
    const result = agreement(ours, await readImage(path.join(output, 'comic.png')))
    console.log(`cunet TTA comic.png: ${percent(result.within2)} within 2 levels`)
    expect(result.within2).toBeGreaterThanOrEqual(0.995)
  })

  describe('Bird (the programs’ stored outputs in reference/)', () => {
    let lr: EngineImage
    let hr: EngineImage
    beforeAll(async () => {
      lr = await readImage(path.join(IMAGES, 'bird_lr.png'))
      hr = await readImage(path.join(IMAGES, 'bird_hr.png'))
    })

    /** Compares a result with the stored output: agreement, and PSNR against bird_hr.png of both. */
    async function againstStored(label: string, result: EngineImage, reference: string) {
      const stored = await readImage(path.join(NCNN, 'reference', reference))
      const share = agreement(result, stored)
      const [ours, theirs] = [psnr(result, hr), psnr(stored, hr)]
      console.log(`${label}: ${percent(share.within2)} within 2 levels (${share.wrapped} wrapped); Bird PSNR ${ours.toFixed(3)} dB, program ${theirs.toFixed(3)} dB`)
      return { share, ours, theirs }
    }

    test.each([
      ['animevideov3-x2', 'bird_realesr-animevideov3-x2.png'],
      ['upconv7', 'bird_waifu2x-upconv7-scale2.png'],
    ])('%s: the import’s own output matches the program’s', async (name, reference) => {
      const { share, ours, theirs } = await againstStored(name, await upscale(name, lr), reference)
      expect(share.within2).toBeGreaterThanOrEqual(0.995)
      expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.02)
    })

    test.each([
      ['cunet', 'bird_waifu2x-cunet-scale2.png', 200, false],
      ['cugan-conservative', 'bird_realcugan-up2x-conservative.png', 300, true],
    ] as const)('%s: with the program’s tiles replayed it matches; the import’s exact pooling scores at least as well', async (name, reference, tile, veryRough) => {
      const { onnx, metadata } = imported.get(name)!
      const means = veryRough ? await veryRoughMeans(onnx, metadata, lr) : undefined
      const replay = await againstStored(`${name} replayed (${tile} px tiles${veryRough ? ', very rough means' : ''})`, await replayTiles(onnx, metadata, lr, tile, means), reference)
      expect(replay.share.within2).toBeGreaterThanOrEqual(0.995)
      expect(Math.abs(replay.ours - replay.theirs)).toBeLessThanOrEqual(0.02)
      const exact = await againstStored(`${name} import`, await upscale(name, lr), reference)
      expect(exact.ours).toBeGreaterThanOrEqual(exact.theirs - 0.02)
      if (name === 'cunet') expect(exact.ours).toBeGreaterThanOrEqual(25.64)
    })

    test('x4plus-anime: the program’s first 100 px tile, replayed, matches its stored output', async () => {
      const { onnx, metadata } = imported.get('x4plus-anime')!
      const crop = (image: EngineImage, size: number): EngineImage => {
        const data = new Uint8Array(size * size * 3)
        for (let y = 0; y < size; y++) data.set(image.data.subarray(y * image.width * 3, (y * image.width + size) * 3), y * size * 3)
        return { data, width: size, height: size, channels: 3 }
      }
      // The program's tile (0, 0) reads [−10, 110): the crop of 110 px gives the same window on its right and bottom.
      const tile = crop(await replayTiles(onnx, metadata, crop(lr, 110), 100), 400)
      const stored = crop(await readImage(path.join(NCNN, 'reference/bird_realesrgan-x4plus-anime.png')), 400)
      const share = agreement(tile, stored)
      console.log(`x4plus-anime first tile replayed: ${percent(share.within2)} within 2 levels (${share.wrapped} wrapped)`)
      expect(share.within2).toBeGreaterThanOrEqual(model('x4plus-anime').agreement)
    })
  })
})
