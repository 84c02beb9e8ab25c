import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { BehaviorSubject, lastValueFrom, tap, toArray } from 'rxjs'
import sharp, { type Sharp } from 'sharp'
import { upscaleImage, upscaleImages, type ImageEvent } from '../src/upscale-images'
import { pngClaiming, useTempDir } from './helpers'

const tempDir = useTempDir()
// S keeps these tests quick; the default model is covered by the quality tests and the CLI.
const options = { model: 'anime4k-s', workers: 1, threads: 2 }

async function makeImage(name: string, build: () => Sharp): Promise<string> {
  const file = join(tempDir(), name)
  await build().toFile(file)
  return file
}

const gradient = (width: number, height: number) =>
  Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#f06"/><stop offset="1" stop-color="#06f"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="none" stroke="#000" stroke-width="2"/></svg>`)

/** Files in the output folder other than the expected ones: temporary or partial leftovers. */
function leftovers(folder: string, expected: string[] = []): string[] {
  return existsSync(folder) ? readdirSync(folder).filter((f) => !expected.includes(f)) : []
}

describe('upscaleImage keeps what the source had', () => {
  test('RGB: 2x by default, any extension-chosen format', async () => {
    const input = await makeImage('rgb.png', () => sharp(gradient(41, 23)).removeAlpha())
    const output = join(tempDir(), 'rgb-out', 'rgb.webp')
    const result = await upscaleImage({ input, output, format: 'webp' }, options)
    expect(result).toMatchObject({ width: 82, height: 46, sourceWidth: 41, sourceHeight: 23 })
    const meta = await sharp(output).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 82, 46])
  })

  test('alpha is upscaled separately and recombined: transparent stays transparent, opaque stays opaque', async () => {
    const input = await makeImage('alpha.png', () =>
      sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><rect x="10" y="8" width="20" height="14" fill="#3a7"/></svg>')),
    )
    const output = join(tempDir(), 'alpha-2x.png')
    await upscaleImage({ input, output, format: 'png' }, options)
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([80, 60, 4])
    expect(data[(2 * 80 + 2) * 4 + 3]).toBe(0)
    expect(data[(30 * 80 + 40) * 4 + 3]).toBe(255)
    expect(data[(30 * 80 + 40) * 4 + 1]).toBeGreaterThan(150)
  })

  test('grayscale stays grayscale; palette images decode to colour', async () => {
    const grey = await makeImage('grey.png', () => sharp(gradient(30, 20)).removeAlpha().greyscale().toColourspace('b-w'))
    await upscaleImage({ input: grey, output: join(tempDir(), 'grey-2x.png'), format: 'png' }, options)
    expect((await sharp(join(tempDir(), 'grey-2x.png')).metadata()).channels).toBe(1)

    const palette = await makeImage('palette.png', () => sharp(gradient(30, 20)).png({ palette: true, colours: 16 }))
    expect((await sharp(palette).metadata()).isPalette).toBe(true)
    const result = await upscaleImage({ input: palette, output: join(tempDir(), 'palette-2x.png'), format: 'png' }, options)
    expect([result.width, result.height]).toEqual([60, 40])
  })

  test('16-bit input gives 16-bit output', async () => {
    const input = await makeImage('deep.png', () => sharp(gradient(24, 16)).removeAlpha().toColourspace('rgb16').png())
    expect((await sharp(input).metadata()).depth).toBe('ushort')
    const output = join(tempDir(), 'deep-2x.png')
    await upscaleImage({ input, output, format: 'png' }, options)
    const meta = await sharp(output).metadata()
    expect([meta.depth, meta.width, meta.height]).toEqual(['ushort', 48, 32])
  })

  test('EXIF-rotated input comes out upright', async () => {
    // Stored 40x20 with orientation 6 (rotate 90° clockwise to display): displays as 20x40.
    const input = await makeImage('rotated.jpg', () => sharp(gradient(40, 20)).removeAlpha().withMetadata({ orientation: 6 }).jpeg())
    const output = join(tempDir(), 'rotated-2x.png')
    const result = await upscaleImage({ input, output, format: 'png' }, options)
    expect([result.width, result.height]).toEqual([40, 80])
    const meta = await sharp(output).metadata()
    expect([meta.width, meta.height, meta.orientation]).toEqual([40, 80, undefined])
  })

  test('an embedded ICC profile (Display P3) is kept and its colours survive', async () => {
    const input = await makeImage('p3.png', () =>
      sharp({ create: { width: 16, height: 12, channels: 3, background: '#d04020' } }).withIccProfile('p3').png(),
    )
    const sourceIcc = (await sharp(input).metadata()).icc
    const output = join(tempDir(), 'p3-2x.png')
    await upscaleImage({ input, output, format: 'png' }, options)
    expect((await sharp(output).metadata()).icc).toEqual(sourceIcc)
    // Stored (P3) values at the centre, away from the model's zero-padded border.
    const stored = async (file: string) => {
      const { data, info } = await sharp(file).keepIccProfile().raw().toBuffer({ resolveWithObject: true })
      const centre = ((info.height >> 1) * info.width + (info.width >> 1)) * info.channels
      return [...data.subarray(centre, centre + 3)]
    }
    const [before, after] = [await stored(input), await stored(output)]
    for (let c = 0; c < 3; c++) expect(Math.abs(before[c] - after[c])).toBeLessThanOrEqual(2)
  })

  test('scale 1.5 and a target width give exact sizes; jpg output of RGBA is flattened', async () => {
    const input = await makeImage('sizes.png', () => sharp(gradient(40, 30)))
    expect(await upscaleImage({ input, output: join(tempDir(), 's15.png'), format: 'png' }, { ...options, target: { scale: 1.5 } })).toMatchObject({ width: 60, height: 45 })
    expect(await upscaleImage({ input, output: join(tempDir(), 'w100.jpg'), format: 'jpg' }, { ...options, target: { width: 100 } })).toMatchObject({ width: 100, height: 75 })
    expect((await sharp(join(tempDir(), 'w100.jpg')).metadata()).channels).toBe(3)
  })
})

describe('upscaleImage refuses bad input and writes nothing', () => {
  const cases: Array<[string, (file: string) => void | Promise<void>, string, RegExp]> = [
    ['an empty file', (f) => writeFileSync(f, ''), 'E_INPUT_INVALID', /is empty \(0 bytes\)/],
    ['a text file named .png', (f) => writeFileSync(f, 'this is not an image, just text\n'), 'E_INPUT_INVALID', /is not an image/],
    [
      'a truncated PNG',
      async (f) => {
        await sharp(gradient(64, 64)).png().toFile(f)
        truncateSync(f, Math.floor(statSync(f).size / 2))
      },
      'E_INPUT_INVALID',
      /truncated or corrupt/,
    ],
    ['a header claiming 50000x50000', (f) => writeFileSync(f, pngClaiming(50000, 50000)), 'E_IMAGE_TOO_LARGE', /50000x50000 \(2500 megapixels\), more than maxPixels \(268 megapixels\): raise maxPixels if you have the memory/],
  ]

  test.each(cases)('%s', async (name, make, code, message) => {
    const folder = join(tempDir(), `bad-${name.replace(/\W+/g, '-')}`)
    const input = join(tempDir(), `${name.replace(/\W+/g, '-')}.png`)
    await make(input)
    await expect(upscaleImage({ input, output: join(folder, 'out.png'), format: 'png' }, options)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
    expect(leftovers(folder)).toEqual([])
  })

  test('an existing output is refused without overwrite and replaced with it', async () => {
    const input = await makeImage('exists-in.png', () => sharp(gradient(20, 10)))
    const folder = join(tempDir(), 'exists')
    const output = join(folder, 'out.png')
    await upscaleImage({ input, output, format: 'png' }, options)
    copyFileSync(output, join(tempDir(), 'exists-copy.png'))
    writeFileSync(output, 'precious')
    await expect(upscaleImage({ input, output, format: 'png' }, options)).rejects.toMatchObject({ code: 'E_OUTPUT_EXISTS', option: 'overwrite', message: expect.stringContaining('use overwrite: true to replace') })
    expect(readFileSync(output, 'utf8')).toBe('precious')
    await upscaleImage({ input, output, format: 'png' }, { ...options, overwrite: true })
    expect((await sharp(output).metadata()).width).toBe(40)
    expect(leftovers(folder, ['out.png'])).toEqual([])
  })

  test('a missing model path is refused with the list of built-in models', async () => {
    const input = await makeImage('model-in.png', () => sharp(gradient(20, 10)))
    await expect(upscaleImage({ input, output: join(tempDir(), 'm.png'), format: 'png' }, { model: join(tempDir(), 'nope.onnx') })).rejects.toThrow(
      /Model not found: '.*nope\.onnx' is neither a built-in model \(anime4k-s, anime4k-l\) nor an existing \.onnx file/,
    )
    expect(existsSync(join(tempDir(), 'm.png'))).toBe(false)
  })
})

describe('upscaleImages batches', () => {
  test('pause starts no new image while the images in flight finish; resume finishes the batch', async () => {
    const folder = join(tempDir(), 'pause-out')
    const jobs = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => ({ input: await makeImage(`pause-${i}.png`, () => sharp(gradient(160, 90)).removeAlpha()), output: join(folder, `${i}.png`), format: 'png' as const })),
    )
    // Paused from the start: no image may be written until resumed.
    const paused = new BehaviorSubject(true)
    const seen: ImageEvent[] = []
    const finished = lastValueFrom(upscaleImages(jobs, { ...options, paused }).pipe(tap((event) => seen.push(event)), toArray()))
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    while (!seen.some((event) => event.type === 'paused')) await sleep(20)
    await sleep(1500)
    expect(seen.filter((event) => event.type === 'image')).toEqual([])
    expect(leftovers(folder)).toEqual([])

    paused.next(false)
    while (!seen.some((event) => event.type === 'image')) await sleep(10)
    paused.next(true)
    await sleep(1500) // what was in flight when the pause came finishes
    const held = seen.filter((event) => event.type === 'image').length
    expect(held).toBeLessThan(8)
    await sleep(1000)
    expect(seen.filter((event) => event.type === 'image').length).toBe(held)
    const lastProgress = seen.filter((event) => event.type === 'progress').at(-1)
    expect(lastProgress).toMatchObject({ paused: true })

    paused.next(false)
    const events = await finished
    expect(events.map((event) => event.type).filter((type) => type === 'paused' || type === 'resumed')).toEqual(['paused', 'resumed', 'paused', 'resumed'])
    expect(events.at(-1)).toMatchObject({ type: 'done', failures: [] })
    expect(readdirSync(folder).sort()).toEqual(jobs.map((_, i) => `${i}.png`).sort())
  })

  test('stop while paused ends the batch with E_ABORTED and leaves nothing', async () => {
    const folder = join(tempDir(), 'stop-paused-out')
    const input = await makeImage('stop-paused.png', () => sharp(gradient(64, 36)).removeAlpha())
    const jobs = [0, 1, 2].map((i) => ({ input, output: join(folder, `${i}.png`), format: 'png' as const }))
    const controller = new AbortController()
    const failure = new Promise<unknown>((resolve) => {
      upscaleImages(jobs, { ...options, paused: new BehaviorSubject(true), signal: controller.signal }).subscribe({
        next: (event) => {
          if (event.type === 'paused') controller.abort()
        },
        error: resolve,
        complete: () => resolve(new Error('completed although stopped')),
      })
    })
    expect(await failure).toMatchObject({ code: 'E_ABORTED' })
    expect(leftovers(folder)).toEqual([])
  })
})
