// Runs the built command as a user would: a real process, real files, real models.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'

const BIN = resolve(__dirname, '../dist/bin.js')
let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-cli-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

async function image(name: string, width: number, height: number): Promise<string> {
  const file = join(dir, name)
  mkdirSync(join(file, '..'), { recursive: true })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fce"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#75c" stroke="#213" stroke-width="2"/></svg>`
  await sharp(Buffer.from(svg)).toFile(file)
  return file
}

describe('anime-upscaler upscale', () => {
  test('a folder and a glob: layout kept, JSON events with a final summary of every output', async () => {
    await image('in/a.png', 32, 24)
    await image('in/sub/b.png', 20, 20)
    const { code, stdout, stderr } = cli('upscale', 'in', '-o', 'out', '--json', '--model', 'anime4k-s')
    expect(stderr).toContain('Upscaling 2 images with anime4k-s')
    expect(code).toBe(0)
    const events = stdout.trim().split('\n').map((line) => JSON.parse(line))
    expect(events[0]).toMatchObject({ type: 'start', total: 2, model: 'anime4k-s' })
    const done = events.at(-1)
    expect(done.type).toBe('done')
    expect(done.results.map((r: { output: string; width: number; height: number }) => [r.output, r.width, r.height]).sort()).toEqual([
      ['out/a.png', 64, 48],
      ['out/sub/b.png', 40, 40],
    ])
    expect(events.filter((e) => e.type === 'progress').at(-1)).toMatchObject({ done: 2, total: 2, percent: 100 })
  })

  test('the default model (anime4k-l) to a file in a missing folder, with --scale 4', async () => {
    const input = await image('single.png', 30, 20)
    const { code, stderr } = cli('upscale', input, '-o', 'deep/new/folder/single.png', '--scale', '4')
    expect(stderr).toContain('anime4k-l')
    expect(code).toBe(0)
    const meta = await sharp(join(dir, 'deep/new/folder/single.png')).metadata()
    expect([meta.width, meta.height]).toEqual([120, 80])
  })

  test('an existing output is refused (exit 2) unless --overwrite', async () => {
    const input = await image('exists.png', 16, 16)
    writeFileSync(join(dir, 'taken.png'), 'keep me')
    const refused = cli('upscale', input, '-o', 'taken.png', '--model', 'anime4k-s')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('Output already exists: taken.png: use --overwrite to replace')
    expect(cli('upscale', input, '-o', 'taken.png', '--model', 'anime4k-s', '--overwrite').code).toBe(0)
  })

  test.each([
    [['upscale', 'missing.png', '-o', 'x.png'], 'Input not found: missing.png'],
    [['upscale', 'emptydir', '-o', 'x'], 'No images or videos found in folder emptydir'],
    [['upscale', 'exists.png', '-o', 'x.png', '--tile', '-3'], "Expected positive integer for --tile but received '-3'"],
    [['upscale', 'exists.png', '-o', 'x.png', '--scale', 'big'], "Expected positive number for --scale but received 'big'"],
    [['upscale', 'exists.png', '-o', 'x.png', '--format', 'gif'], "Expected --format 'png', 'jpg', 'webp', 'avif' but received 'gif'"],
    [['upscale', 'exists.png', '-o', 'x.png', '--model', 'nope.onnx'], "Model not found: 'nope.onnx'"],
    [['upscale', 'exists.png', '-o', 'x.png', '--scale', '2', '--width', '100'], 'Give either --scale or --width/--height, not both'],
  ])('usage errors exit 2 with a clear message: %j', (args, message) => {
    mkdirSync(join(dir, 'emptydir'), { recursive: true })
    const { code, stderr } = cli(...args)
    expect(stderr).toContain(message)
    expect(code).toBe(2)
    expect(readdirSync(dir).filter((f) => f.startsWith('x'))).toEqual([])
  })

  test('a corrupt ONNX model is refused (exit 2); wrong rank or channels are covered by the engine tests', async () => {
    writeFileSync(join(dir, 'corrupt.onnx'), 'definitely not protobuf')
    const corrupt = cli('upscale', 'exists.png', '-o', 'y.png', '--model', 'corrupt.onnx')
    expect(corrupt.stderr).toContain('Could not load model corrupt.onnx: it is not a valid ONNX model')
    expect(corrupt.code).toBe(2)
  })

  test('a batch where one image is broken writes the others and exits 1', async () => {
    await image('mixed/good.png', 16, 16)
    writeFileSync(join(dir, 'mixed/bad.png'), 'text pretending to be a png')
    const { code, stderr } = cli('upscale', 'mixed', '-o', 'mixed-out', '--model', 'anime4k-s')
    expect(stderr).toMatch(/error: mixed\/bad\.png: mixed\/bad\.png is not an image/)
    expect(code).toBe(1)
    expect(readdirSync(join(dir, 'mixed-out'))).toEqual(['good.png'])
  })
})

describe('anime-upscaler models', () => {
  test('lists the built-in models with scale, cost and source', () => {
    const { code, stdout } = cli('models', '--json', '--models-dir', join(dir, 'no-models'))
    expect(code).toBe(0)
    const models = JSON.parse(stdout)
    expect(models.map((m: { id: string }) => m.id)).toEqual(['anime4k-s', 'anime4k-l'])
    for (const m of models) {
      expect(m.scale).toBe(2)
      expect(m.flopsPerOutputPixel).toBeGreaterThan(0)
      expect(m.source).toContain('@websr/websr')
    }
  })
})
