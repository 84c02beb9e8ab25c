/**
 * Quality evaluation on the command line: PSNR and SSIM on full-range luma (see ./metrics.ts), computed by
 * ./evaluation.ts; this file parses the arguments and prints markdown tables.
 *
 *   evaluate pair <upscaled> <reference>
 *   evaluate bird  [--fixtures DIR] [--models LIST] [--models-dir DIR]
 *   evaluate suite [--fixtures DIR] [--models LIST] [--models-dir DIR]
 *   evaluate ncnn  [--fixtures DIR] [--ncnn DIR] [--no-tta]
 *
 * `bird` reproduces the published Anime4K Bird benchmark (bird_lr.png upscaled 2x vs bird_hr.png).
 * `suite` takes every fixture image (cropped to even size), downscales it 2x by area averaging and upscales it
 * back 2x with our resamplers and with each model.
 * LIST is comma-separated model names or .onnx paths for `createUpscaler` from @anime-upscaler/stage-upscale
 * (default anime4k-s,anime4k-l; `none` for resampler rows only); `NAME+tta` runs NAME with TTA.
 * `ncnn` imports every model of the ncnn test material and scores it on Bird with and without TTA.
 * The default fixtures directory is ../shared/fixtures relative to the repository root.
 */
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { BIRD_KERNELS, evaluateBird, evaluatePair, evaluateSuite, SUITE_BASELINE, type EvaluationOptions, type Score } from './evaluation'
import { evaluateNcnnBird } from './ncnn-models'
import { findRepoRoot } from './repo-root'

const DEFAULT_MODELS = ['anime4k-s', 'anime4k-l']

const USAGE = `Usage:
  evaluate pair <upscaled> <reference>       PSNR / SSIM (full-range luma) of two image files
  evaluate bird  [--fixtures DIR] [--models LIST] [--models-dir DIR]
                                             bird_lr.png upscaled 2x vs bird_hr.png, next to the published table
  evaluate suite [--fixtures DIR] [--models LIST] [--models-dir DIR]
                                             every fixture image: 2x area downscale, 2x upscale back, per image and mean
  evaluate ncnn  [--fixtures DIR] [--ncnn DIR] [--no-tta]
                                             every ncnn test model imported and scored on Bird, with and without TTA
Options:
  --fixtures DIR   fixtures directory (holding images/); default ../shared/fixtures from the repository root
  --models LIST    comma-separated models for createUpscaler (names or .onnx paths, NAME+tta for TTA);
                   default ${DEFAULT_MODELS.join(',')}; 'none' to skip the model rows
  --models-dir DIR where imported models are (default: the user's models folder)
  --ncnn DIR       the ncnn test material; default ../shared/models/ncnn from the repository root
  --no-tta         ncnn: skip the TTA rows (8x the time)`

/** Published full-range luma PSNR of bloc97/Anime4K results/Comparisons/Bird/RESULTS.txt. */
const PUBLISHED_BIRD: ReadonlyArray<{ name: string; psnr: number; ours?: string }> = [
  { name: 'bilinear', psnr: 23.03, ours: 'bilinear' },
  { name: 'bicubic', psnr: 23.7, ours: 'bicubic' },
  { name: 'lanczos', psnr: 23.88, ours: 'lanczos3' },
  { name: 'Anime4K-L', psnr: 24.94, ours: 'anime4k-l' },
  { name: 'Anime4K-UL', psnr: 25.14 },
  { name: 'waifu2x-CUNet', psnr: 25.61 },
]

// ---------------------------------------------------------------------------------------------------------
// Formatting

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function fmt(value: number, digits: number): string {
  if (Number.isNaN(value)) return '—'
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

function reportErrors(scores: Score[], context: string): void {
  for (const s of scores) if (s.error) console.log(`model ${s.method} failed on ${context}: ${s.error}`)
}

// ---------------------------------------------------------------------------------------------------------
// Locations

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

/** The ncnn test material (../shared/models/ncnn from the repository root, or `--ncnn DIR`). */
function ncnnDir(given: string | undefined): string {
  const root = findRepoRoot()
  const dir = path.resolve(given ?? (root ? path.resolve(root, '../shared/models/ncnn') : 'models/ncnn'))
  if (!existsSync(path.join(dir, 'reference'))) throw new Error(`ncnn test material not found at ${dir} (pass --ncnn DIR, the folder holding SOURCES.md and reference/)`)
  return dir
}

// ---------------------------------------------------------------------------------------------------------
// Commands

async function commandPair(upscaledFile: string, referenceFile: string): Promise<void> {
  const result = await evaluatePair(upscaledFile, referenceFile)
  console.log(`reference: ${referenceFile} (${result.width}x${result.height})`)
  console.log(`upscaled:  ${upscaledFile}`)
  console.log(`PSNR (full-range luma): ${fmt(result.psnr, 3)} dB`)
  console.log(`SSIM (full-range luma): ${fmt(result.ssim, 4)}`)
}

async function commandBird(dir: string, models: string[], options: EvaluationOptions): Promise<void> {
  const { lr, scores } = await evaluateBird(dir, models, options)
  reportErrors(scores, 'bird_lr.png')
  console.log(`## Bird: bird_lr.png (${lr.width}x${lr.height}) upscaled 2x vs bird_hr.png\n`)
  console.log('PSNR and SSIM on full-range luma; published: bloc97/Anime4K results/Comparisons/Bird/RESULTS.txt.\n')
  const lines = scores.map((s) => {
    const published = PUBLISHED_BIRD.find((p) => p.ours === s.method)
    return [
      s.method + ((BIRD_KERNELS as readonly string[]).includes(s.method) ? ' (ours)' : ''),
      s.error ? 'failed' : fmt(s.psnr, 2),
      s.error ? 'failed' : fmt(s.ssim, 4),
      published ? `${published.psnr.toFixed(2)} (${published.name})` : '—',
      published && !s.error ? signed(s.psnr - published.psnr, 2) : '—',
      s.msPerMegapixel === undefined || s.error ? '—' : fmt(s.msPerMegapixel, 0),
    ]
  })
  for (const p of PUBLISHED_BIRD) {
    if (!scores.some((s) => s.method === p.ours)) lines.push([`${p.name} (published only)`, '—', '—', p.psnr.toFixed(2), '—', '—'])
  }
  console.log(table(['method', 'PSNR dB', 'SSIM', 'published PSNR dB', 'Δ dB', 'ms / output MP'], lines))
}

async function commandNcnn(dir: string, ncnnDir: string, tta: boolean): Promise<void> {
  const rows = await evaluateNcnnBird(ncnnDir, dir, { tta })
  console.log('## Bird: imported ncnn models, bird_lr.png upscaled 2x vs bird_hr.png\n')
  console.log('PSNR and SSIM on full-range luma; 4x models are brought to 2x by our lanczos3. ms per output megapixel: wall time of')
  console.log('one upscale through createUpscaler with default options (one worker, one thread per image). Program: the ncnn')
  console.log("program's own stored output (../shared/models/ncnn/reference).\n")
  const cells = (s: Score | undefined) => (!s ? ['—', '—', '—'] : s.error ? ['failed', 'failed', '—'] : [fmt(s.psnr, 2), fmt(s.ssim, 4), fmt(s.msPerMegapixel ?? NaN, 0)])
  for (const { plain, tta: withTta } of rows) for (const s of [plain, withTta]) if (s?.error) console.log(`model ${s.method} failed: ${s.error}`)
  const header = ['model', 'PSNR dB', 'SSIM', 'ms / MP', ...(tta ? ['TTA PSNR dB', 'TTA SSIM', 'TTA ms / MP'] : []), 'program PSNR dB', 'program SSIM']
  const lines = rows.map(({ model, plain, tta: withTta, program }) => [
    `${model.name} (${model.scale}x)`,
    ...cells(plain),
    ...(tta ? cells(withTta) : []),
    program ? fmt(program.psnr, 2) : '—',
    program ? fmt(program.ssim, 4) : '—',
  ])
  console.log(table(header, lines))
}

async function commandSuite(dir: string, models: string[], options: EvaluationOptions): Promise<void> {
  const { images, means } = await evaluateSuite(dir, models, options)
  console.log('# Suite: HR (cropped to even size) → 2x area downscale → 2x upscale, vs HR\n')
  console.log('PSNR and SSIM on full-range luma, RGB only (alpha dropped without compositing).\n')
  for (const { file, hr, lr, scores } of images) {
    reportErrors(scores, file)
    const base = scores.find((s) => s.method === SUITE_BASELINE)!
    console.log(`## ${file} (${hr.width}x${hr.height}, from ${lr.width}x${lr.height})\n`)
    console.log(
      table(
        ['method', 'PSNR dB', 'SSIM', `Δ PSNR vs ${SUITE_BASELINE}`, `Δ SSIM vs ${SUITE_BASELINE}`],
        scores.map((s) =>
          s.error
            ? [s.method, 'failed', 'failed', '—', '—']
            : [s.method, fmt(s.psnr, 2), fmt(s.ssim, 4), signed(s.psnr - base.psnr, 2), signed(s.ssim - base.ssim, 4)],
        ),
      ),
    )
    console.log()
  }
  console.log(`## Mean over ${images.length} images\n`)
  console.log(
    table(
      ['method', 'mean PSNR dB', 'mean SSIM', `gain PSNR vs ${SUITE_BASELINE}`, `gain SSIM vs ${SUITE_BASELINE}`, 'images'],
      means.map((m) =>
        m.images === 0
          ? [m.method, 'failed', 'failed', '—', '—', '0']
          : [m.method, fmt(m.psnr, 2), fmt(m.ssim, 4), signed(m.psnrGain, 2), signed(m.ssimGain, 4), String(m.images)],
      ),
    ),
  )
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
        'models-dir': { type: 'string' },
        ncnn: { type: 'string' },
        'no-tta': { type: 'boolean' },
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
  const models =
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
    case 'suite':
      if (rest.length !== 0) {
        console.error(`Unexpected argument(s) for ${command}: ${rest.join(' ')}\n\n${USAGE}`)
        return 2
      }
      await (command === 'bird' ? commandBird : commandSuite)(imagesDir(values.fixtures), models, { modelsDir: values['models-dir'] })
      return 0
    case 'ncnn':
      await commandNcnn(imagesDir(values.fixtures), ncnnDir(values.ncnn), !values['no-tta'])
      return 0
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
