/**
 * Quality evaluation: PSNR and SSIM on full-range luma (see ./metrics.ts).
 *
 *   evaluate pair <upscaled> <reference>
 *   evaluate bird  [--fixtures DIR] [--models LIST]
 *   evaluate suite [--fixtures DIR] [--models LIST]
 *
 * `bird` reproduces the published Anime4K Bird benchmark (bird_lr.png upscaled 2x vs bird_hr.png).
 * `suite` takes every fixture image (cropped to even size), downscales it 2x by area averaging and upscales it
 * back 2x with our resampler and with each model.
 * LIST is comma-separated model names or .onnx paths for `createUpscaler` from @anime-upscaler/stage-upscale
 * (default anime4k-s,anime4k-l; `none` for resampler rows only).
 * The default fixtures directory is ../shared/fixtures relative to the repository root.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createUpscaler, resample, type EngineImage, type RawImage, type ResampleKernel, type Upscaler } from '@anime-upscaler/stage-upscale'
import { cropEven, readRgb } from './image-io'
import { psnr, ssim } from './metrics'

const USAGE = `Usage:
  evaluate pair <upscaled> <reference>       PSNR / SSIM (full-range luma) of two image files
  evaluate bird  [--fixtures DIR] [--models LIST]
                                             bird_lr.png upscaled 2x vs bird_hr.png, next to the published table
  evaluate suite [--fixtures DIR] [--models LIST]
                                             every fixture image: 2x area downscale, 2x upscale back, per image and mean
Options:
  --fixtures DIR   fixtures directory (holding images/); default ../shared/fixtures from the repository root
  --models LIST    comma-separated models for createUpscaler (names or .onnx paths); default anime4k-s,anime4k-l;
                   'none' to skip the model rows`

const DEFAULT_MODELS = ['anime4k-s', 'anime4k-l']

/** Published full-range luma PSNR of bloc97/Anime4K results/Comparisons/Bird/RESULTS.txt. */
const PUBLISHED_BIRD: ReadonlyArray<{ name: string; psnr: number; ours?: string }> = [
  { name: 'bilinear', psnr: 23.03, ours: 'bilinear' },
  { name: 'bicubic', psnr: 23.7, ours: 'bicubic' },
  { name: 'lanczos', psnr: 23.88, ours: 'lanczos3' },
  { name: 'Anime4K-L', psnr: 24.94, ours: 'anime4k-l' },
  { name: 'Anime4K-UL', psnr: 25.14 },
  { name: 'waifu2x-CUNet', psnr: 25.61 },
]

/** The models of one run: each is created once, used for every image, closed at the end. */
class ModelSet {
  private readonly upscalers = new Map<string, Promise<Upscaler>>()

  constructor(readonly names: string[]) {}

  /** Upscales `image` to `width` x `height` with `model`; throws the engine's error. */
  async upscale(model: string, image: EngineImage, width: number, height: number): Promise<RawImage> {
    let upscaler = this.upscalers.get(model)
    if (!upscaler) {
      upscaler = createUpscaler({ model })
      this.upscalers.set(model, upscaler)
    }
    return (await upscaler).upscale(image, { width, height })
  }

  async close(): Promise<void> {
    for (const upscaler of this.upscalers.values()) {
      try {
        await (await upscaler).close()
      } catch {
        // creation failed: already reported on its rows
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------

interface Row {
  method: string
  psnr: number
  ssim: number
  error?: string
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function measure(method: string, output: RawImage, reference: RawImage): Row {
  return { method, psnr: psnr(output, reference), ssim: ssim(output, reference) }
}

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '—'
  if (value === Infinity) return '∞'
  return value.toFixed(digits)
}

function signed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return '—'
  const text = Math.abs(value).toFixed(digits)
  return (Number(text) === 0 || value > 0 ? '+' : '-') + text
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`]
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n')
}

async function modelRows(models: ModelSet, input: EngineImage, reference: RawImage): Promise<Row[]> {
  const rows: Row[] = []
  for (const model of models.names) {
    try {
      const out = await models.upscale(model, input, reference.width, reference.height)
      rows.push(measure(model, out, reference))
    } catch (error) {
      rows.push({ method: model, psnr: NaN, ssim: NaN, error: errorMessage(error) })
    }
  }
  return rows
}

function reportModelErrors(rows: Row[], context: string): void {
  for (const row of rows) if (row.error) console.log(`model ${row.method} failed on ${context}: ${row.error}`)
}

// ---------------------------------------------------------------------------------------------------------
// Locations

function findRepoRoot(): string | undefined {
  const starts = [process.cwd(), typeof __dirname === 'string' ? __dirname : undefined]
  for (const start of starts) {
    if (!start) continue
    let dir = path.resolve(start)
    for (;;) {
      if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
      const parent = path.dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return undefined
}

/** The directory holding the fixture images (DIR/images, or DIR itself when it holds the images). */
function imagesDir(fixtures: string | undefined): string {
  let dir = fixtures
  if (!dir) {
    const root = findRepoRoot()
    if (!root) {
      throw new Error('Cannot find the repository root (pnpm-workspace.yaml) from the working directory or the script: pass --fixtures DIR')
    }
    dir = path.resolve(root, '../shared/fixtures')
  }
  dir = path.resolve(dir)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`Fixtures directory not found: ${dir} (pass --fixtures DIR, the directory that holds images/)`)
  }
  const images = path.join(dir, 'images')
  return existsSync(images) && statSync(images).isDirectory() ? images : dir
}

// ---------------------------------------------------------------------------------------------------------
// Commands

async function commandPair(upscaledFile: string, referenceFile: string): Promise<void> {
  for (const file of [upscaledFile, referenceFile]) if (!existsSync(file)) throw new Error(`File not found: ${file}`)
  const [upscaled, reference] = await Promise.all([readRgb(upscaledFile), readRgb(referenceFile)])
  if (upscaled.width !== reference.width || upscaled.height !== reference.height) {
    throw new Error(
      `Image sizes differ: ${upscaledFile} is ${upscaled.width}x${upscaled.height}, ${referenceFile} is ${reference.width}x${reference.height}`,
    )
  }
  const row = measure(path.basename(upscaledFile), upscaled, reference)
  console.log(`reference: ${referenceFile} (${reference.width}x${reference.height})`)
  console.log(`upscaled:  ${upscaledFile}`)
  console.log(`PSNR (full-range luma): ${fmt(row.psnr, 3)} dB`)
  console.log(`SSIM (full-range luma): ${fmt(row.ssim, 4)}`)
}

async function commandBird(dir: string, models: ModelSet): Promise<void> {
  const lrFile = path.join(dir, 'bird_lr.png')
  const hrFile = path.join(dir, 'bird_hr.png')
  for (const file of [lrFile, hrFile]) if (!existsSync(file)) throw new Error(`Fixture not found: ${file}`)
  const [lr, hr] = await Promise.all([readRgb(lrFile), readRgb(hrFile)])
  if (hr.width !== 2 * lr.width || hr.height !== 2 * lr.height) {
    throw new Error(`Expected bird_hr.png to be twice bird_lr.png but they are ${hr.width}x${hr.height} and ${lr.width}x${lr.height}`)
  }

  const rows: Row[] = []
  for (const kernel of ['bilinear', 'bicubic', 'lanczos3'] as ResampleKernel[]) {
    rows.push(measure(kernel, resample(lr, hr.width, hr.height, kernel), hr))
  }
  const mRows = await modelRows(models, lr, hr)
  reportModelErrors(mRows, 'bird_lr.png')
  rows.push(...mRows)

  console.log(`## Bird: ${path.basename(lrFile)} (${lr.width}x${lr.height}) upscaled 2x vs ${path.basename(hrFile)}\n`)
  console.log('PSNR and SSIM on full-range luma; published: bloc97/Anime4K results/Comparisons/Bird/RESULTS.txt.\n')
  const lines: string[][] = []
  const listed = new Set<string>()
  for (const row of rows) {
    const published = PUBLISHED_BIRD.find((p) => p.ours === row.method)
    if (published) listed.add(published.name)
    lines.push([
      row.method + (row.method === 'bilinear' || row.method === 'bicubic' || row.method === 'lanczos3' ? ' (ours)' : ''),
      row.error ? 'failed' : fmt(row.psnr, 2),
      row.error ? 'failed' : fmt(row.ssim, 4),
      published ? `${published.psnr.toFixed(2)} (${published.name})` : '—',
      published && !row.error ? signed(row.psnr - published.psnr, 2) : '—',
    ])
  }
  for (const p of PUBLISHED_BIRD) {
    if (!listed.has(p.name)) lines.push([`${p.name} (published only)`, '—', '—', p.psnr.toFixed(2), '—'])
  }
  console.log(table(['method', 'PSNR dB', 'SSIM', 'published PSNR dB', 'Δ dB'], lines))
}

const SUITE_SKIP = new Set(['bird_lr.png', 'comic_lq_x4.png'])
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff', '.bmp'])

async function commandSuite(dir: string, models: ModelSet): Promise<void> {
  const files = readdirSync(dir)
    .filter((f) => IMAGE_EXT.has(path.extname(f).toLowerCase()) && !SUITE_SKIP.has(f))
    .sort()
  if (files.length === 0) throw new Error(`No images in ${dir}`)

  const kernels: ResampleKernel[] = ['bicubic', 'lanczos3']
  const methods = [...kernels, ...models.names]
  const results = new Map<string, Row[]>(methods.map((m) => [m, []]))
  console.log('# Suite: HR (cropped to even size) → 2x area downscale → 2x upscale, vs HR\n')
  console.log('PSNR and SSIM on full-range luma, RGB only (alpha dropped without compositing).\n')

  for (const file of files) {
    const hr = cropEven(await readRgb(path.join(dir, file)))
    const lr = resample(hr, hr.width / 2, hr.height / 2, 'area')
    const rows: Row[] = kernels.map((k) => measure(k, resample(lr, hr.width, hr.height, k), hr))
    const mRows = await modelRows(models, lr, hr)
    reportModelErrors(mRows, file)
    rows.push(...mRows)
    const base = rows.find((r) => r.method === 'lanczos3')!
    for (const row of rows) results.get(row.method)!.push(row)

    console.log(`## ${file} (${hr.width}x${hr.height}, from ${lr.width}x${lr.height})\n`)
    console.log(
      table(
        ['method', 'PSNR dB', 'SSIM', 'Δ PSNR vs lanczos3', 'Δ SSIM vs lanczos3'],
        rows.map((r) =>
          r.error
            ? [r.method, 'failed', 'failed', '—', '—']
            : [r.method, fmt(r.psnr, 2), fmt(r.ssim, 4), signed(r.psnr - base.psnr, 2), signed(r.ssim - base.ssim, 4)],
        ),
      ),
    )
    console.log()
  }

  // Means over the images where the method succeeded; gains are paired with lanczos3 on the same images.
  const base = results.get('lanczos3')!
  const summary: string[][] = []
  for (const method of methods) {
    const rows = results.get(method)!
    let n = 0
    let sp = 0
    let ss = 0
    let gp = 0
    let gs = 0
    rows.forEach((row, i) => {
      if (row.error || !Number.isFinite(row.psnr)) return
      n++
      sp += row.psnr
      ss += row.ssim
      gp += row.psnr - base[i].psnr
      gs += row.ssim - base[i].ssim
    })
    summary.push(
      n === 0
        ? [method, 'failed', 'failed', '—', '—', '0']
        : [method, fmt(sp / n, 2), fmt(ss / n, 4), signed(gp / n, 2), signed(gs / n, 4), String(n)],
    )
  }
  console.log(`## Mean over ${files.length} images\n`)
  console.log(table(['method', 'mean PSNR dB', 'mean SSIM', 'gain PSNR vs lanczos3', 'gain SSIM vs lanczos3', 'images'], summary))
}

// ---------------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        fixtures: { type: 'string' },
        models: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    console.error(`${errorMessage(error)}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help || !command) {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  const modelNames =
    values.models === undefined
      ? DEFAULT_MODELS
      : values.models.trim() === 'none'
        ? []
        : values.models
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean)

  switch (command) {
    case 'pair':
      if (rest.length !== 2) {
        console.error(`evaluate pair needs <upscaled> <reference> but received ${rest.length} file(s)\n\n${USAGE}`)
        return 2
      }
      await commandPair(rest[0], rest[1])
      return 0
    case 'bird':
    case 'suite': {
      if (rest.length !== 0) {
        console.error(`Unexpected argument(s) for ${command}: ${rest.join(' ')}\n\n${USAGE}`)
        return 2
      }
      const dir = imagesDir(values.fixtures)
      const models = new ModelSet(modelNames)
      try {
        if (command === 'bird') await commandBird(dir, models)
        else await commandSuite(dir, models)
      } finally {
        await models.close()
      }
      return 0
    }
    default:
      console.error(`Unknown command '${command}'\n\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(`evaluate: ${errorMessage(error)}`)
    process.exitCode = 1
  },
)
