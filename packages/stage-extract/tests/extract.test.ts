import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { extractFrames, planExtraction, probe, type DecodedFrame } from '../src'
import { FIXTURES, VFR_FILTER, VFR_TICKS, blockImage, collect, describeFixtures, ffmpeg, makeVideo, maxBlockError, tempDir } from './helpers'

const { dir, cleanup } = tempDir()
const file = (name: string) => join(dir, name)

/** 75 % colour bars, greys from black to white, and a few mid colours: all inside the YUV gamut. */
const COLORS: Array<[number, number, number]> = [
  [191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191], [0, 0, 0],
  [16, 16, 16], [64, 64, 64], [128, 128, 128], [235, 235, 235], [255, 255, 255], [200, 120, 60], [60, 120, 200], [120, 200, 60],
]
const REFERENCE = blockImage(COLORS, 8)

/** Encodes the reference picture losslessly (x264 qp 0) as YUV with the given matrix and range, tagged or not. */
function encodeReference(name: string, matrix: 'bt601' | 'bt709', range: 'tv' | 'pc', pixFmt: string, tagged = true): string {
  writeFileSync(file('reference.rgb'), REFERENCE.data)
  const tag = matrix === 'bt709' ? 'bt709' : 'smpte170m'
  ffmpeg(
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${REFERENCE.width}x${REFERENCE.height}`, '-r', '24', '-i', file('reference.rgb'),
    '-vf', `scale=out_color_matrix=${matrix}:out_range=${range}:flags=accurate_rnd+full_chroma_int,format=${pixFmt}`,
    '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast',
    ...(tagged ? ['-colorspace', tag, '-color_primaries', tag, '-color_trc', tag, '-color_range', range] : []),
    file(name),
  )
  return file(name)
}

/** Where the red box of the rotation test ended up: 'TL', 'TR', 'BL' or 'BR'. */
function redCorner(frame: { data: ArrayLike<number>; width: number; height: number }): string {
  const red = (x: number, y: number) => frame.data[(y * frame.width + x) * 3] > 150 && frame.data[(y * frame.width + x) * 3 + 1] < 80
  const { width: w, height: h } = frame
  const corners: Record<string, [number, number]> = { TL: [2, 2], TR: [w - 3, 2], BL: [2, h - 3], BR: [w - 3, h - 3] }
  return Object.keys(corners).filter((k) => red(...corners[k])).join(',')
}

beforeAll(() => {
  makeVideo(file('cfr.mp4'), { frames: 48, rate: '24' })
  makeVideo(file('vfr.mkv'), { frames: 30, rate: '120', size: '64x48', filters: VFR_FILTER })
  makeVideo(file('anim.gif'), { frames: 6, rate: '10', size: '64x48', codec: [] })
  mkdirSync(file('seq'))
  makeVideo(file('seq/frame_%04d.png'), { frames: 7, size: '64x48', codec: [] })
  makeVideo(file('odd.mkv'), { frames: 3, size: '162x122', filters: 'format=rgb24,crop=161:121:0:0,format=yuv420p', codec: ['-c:v', 'ffv1'] })
  mkdirSync(file('dir with spaces'))
  makeVideo(file('dir with spaces/ビデオ テスト é.mp4'), { frames: 5, size: '64x48' })
  // Red box in the top-left corner of the stored picture, then the same stream with rotation metadata.
  ffmpeg('-f', 'lavfi', '-i', 'color=black:s=64x48:r=10,drawbox=x=0:y=0:w=16:h=12:c=red:t=fill', '-frames:v', '2', '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv420p', file('corner.mp4'))
  for (const tag of [90, 180, 270]) ffmpeg('-i', file('corner.mp4'), '-c', 'copy', '-metadata:s:v:0', `rotate=${tag}`, file(`corner-${tag}.mp4`))
})
afterAll(cleanup)

describe('extractFrames', () => {
  test('one frame per decoded frame, index and pts in order, exact frame size', async () => {
    const frames = await collect(extractFrames(file('cfr.mp4')))
    expect(frames).toHaveLength(48)
    frames.forEach((frame, i) => {
      expect(frame.index).toBe(i)
      expect(frame.pts).toBeCloseTo(i / 24, 9)
      expect(frame.image).toMatchObject({ width: 160, height: 120, channels: 3 })
      expect(frame.image.data).toBeInstanceOf(Uint8Array)
      expect(frame.image.data.length).toBe(160 * 120 * 3)
    })
  })

  test('frames are byte-identical to ffmpeg decoding the same frame on its own (no drift in the framing)', async () => {
    const info = await probe(file('cfr.mp4'))
    const plan = planExtraction(info)
    const frames = await collect(extractFrames(file('cfr.mp4'), { info }))
    const filters = plan.filters.replace('showinfo=checksum=0,', '')
    for (const n of [0, 29, 47]) {
      const alone = ffmpeg('-i', file('cfr.mp4'), '-vf', `select=eq(n\\,${n}),${filters}`, '-vsync', 'passthrough', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-')
      expect(Buffer.from(frames[n].image.data.buffer).equals(alone)).toBe(true)
    }
  })

  test('variable frame rate: each frame keeps its own timestamp (within 1 ms)', async () => {
    const frames = await collect(extractFrames(file('vfr.mkv')))
    expect(frames).toHaveLength(30)
    const errors = frames.map((f, i) => Math.abs(f.pts - VFR_TICKS[i] / 120))
    expect(Math.max(...errors)).toBeLessThanOrEqual(0.0005 + 1e-9) // Matroska stores milliseconds
  })

  test('colours: BT.601 and BT.709, limited and full range, converted with the file\'s own matrix (within 2/255)', async () => {
    const cases = [
      encodeReference('bt601-tv.mp4', 'bt601', 'tv', 'yuv420p'),
      encodeReference('bt709-tv.mp4', 'bt709', 'tv', 'yuv420p'),
      encodeReference('bt709-pc.mp4', 'bt709', 'pc', 'yuv420p'),
      encodeReference('untagged-sd.mp4', 'bt601', 'tv', 'yuv420p', false),
    ]
    for (const path of cases) {
      const [frame] = await collect(extractFrames(path))
      const error = maxBlockError(REFERENCE.data, frame.image.data, REFERENCE.width, REFERENCE.height)
      expect({ path, error, within2: error <= 2 }).toMatchObject({ path, within2: true })
    }
    // The test can tell: the wrong matrix or range is far off.
    const [wrongMatrix] = await collect(extractFrames(cases[1], { colorMatrix: 'bt601' }))
    expect(maxBlockError(REFERENCE.data, wrongMatrix.image.data, REFERENCE.width, REFERENCE.height)).toBeGreaterThan(10)
    const [wrongRange] = await collect(extractFrames(cases[2], { colorRange: 'tv' }))
    expect(maxBlockError(REFERENCE.data, wrongRange.image.data, REFERENCE.width, REFERENCE.height)).toBeGreaterThan(10)
  })

  test('a 10-bit source gives 16-bit frames (Uint16Array, full 0..65535 scale)', async () => {
    const path = encodeReference('bt709-10bit.mp4', 'bt709', 'tv', 'yuv420p10le')
    const info = await probe(path)
    expect(info.video.bitDepth).toBe(10)
    expect(planExtraction(info)).toMatchObject({ pixelFormat: 'rgb48le', bytesPerFrame: REFERENCE.width * REFERENCE.height * 6 })
    const [frame] = await collect(extractFrames(path, { info }))
    expect(frame.image.data).toBeInstanceOf(Uint16Array)
    expect(frame.image.data.length).toBe(REFERENCE.width * REFERENCE.height * 3)
    expect(Math.max(...frame.image.data)).toBeGreaterThan(65000)
    expect(maxBlockError(REFERENCE.data, frame.image.data, REFERENCE.width, REFERENCE.height, 257)).toBeLessThanOrEqual(1)
    // ...and 8-bit on request.
    const [narrow] = await collect(extractFrames(path, { info, pixelFormat: 'rgb24' }))
    expect(narrow.image.data).toBeInstanceOf(Uint8Array)
  })

  test('rotation metadata: frames come out upright, as ffmpeg\'s own autorotate shows them', async () => {
    // ffprobe's display-matrix rotation for these files is -90, 180 and 90 degrees (counterclockwise):
    // turn the stored picture 90, 180 and 270 degrees clockwise. The red box starts top-left.
    const expected: Record<number, { rotation: number; corner: string; size: [number, number] }> = {
      270: { rotation: 90, corner: 'TR', size: [48, 64] },
      180: { rotation: 180, corner: 'BR', size: [64, 48] },
      90: { rotation: 270, corner: 'BL', size: [48, 64] },
    }
    const [plain] = await collect(extractFrames(file('corner.mp4')))
    expect(redCorner(plain.image)).toBe('TL')
    for (const [tag, want] of Object.entries(expected)) {
      const path = file(`corner-${tag}.mp4`)
      const info = await probe(path)
      expect(info.video.rotation).toBe(want.rotation)
      const [frame] = await collect(extractFrames(path, { info }))
      expect([frame.image.width, frame.image.height]).toEqual(want.size)
      expect(redCorner(frame.image)).toBe(want.corner)
      const oracle = ffmpeg('-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-') // ffmpeg autorotates by default
      expect(redCorner({ data: oracle, width: want.size[0], height: want.size[1] })).toBe(want.corner)
      const [stored] = await collect(extractFrames(path, { info, autorotate: false }))
      expect(redCorner(stored.image)).toBe('TL')
    }
  })

  test('animated GIF made by ffmpeg', async () => {
    const frames = await collect(extractFrames(file('anim.gif')))
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5])
    frames.forEach((f, i) => expect(f.pts).toBeCloseTo(i / 10, 6))
    expect(frames[0].image).toMatchObject({ width: 64, height: 48 })
  })

  test('image sequence frame_%04d.png at a given frame rate', async () => {
    const frames = await collect(extractFrames(file('seq/frame_%04d.png'), { frameRate: '10/1' }))
    expect(frames).toHaveLength(7)
    frames.forEach((f, i) => expect(f.pts).toBeCloseTo(i / 10, 6))
  })

  test('odd dimensions (161x121 yuv420p) keep their exact size', async () => {
    const frames = await collect(extractFrames(file('odd.mkv')))
    expect(frames).toHaveLength(3)
    expect(frames[0].image).toMatchObject({ width: 161, height: 121 })
    expect(frames[0].image.data.length).toBe(161 * 121 * 3)
  })

  test('a path with spaces and non-ASCII characters', async () => {
    const frames = await collect(extractFrames(file('dir with spaces/ビデオ テスト é.mp4')))
    expect(frames).toHaveLength(5)
  })

  test('maxFrames stops early and completes', async () => {
    const frames = await collect(extractFrames(file('cfr.mp4'), { maxFrames: 5 }))
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4])
  })

  test('invalid options throw at once, naming the option and the value', () => {
    expect(() => extractFrames(file('cfr.mp4'), { maxFrames: -3 })).toThrow('Expected positive integer for maxFrames but received -3')
    expect(() => extractFrames(file('cfr.mp4'), { colorMatrix: 'bt2100' as never })).toThrow("Expected one of 'auto', 'bt601', 'bt709', 'bt2020', 'smpte240m', 'fcc' for colorMatrix but received 'bt2100'")
    expect(() => extractFrames(file('cfr.mp4'), { demand: 5 as never })).toThrow('Expected an Observable of numbers for demand but received 5')
  })

  test('options.info must describe the same input', async () => {
    const info = await probe(file('anim.gif'))
    await expect(collect(extractFrames(file('cfr.mp4'), { info }))).rejects.toThrow(`options.info describes '${file('anim.gif')}', not the input '${file('cfr.mp4')}'`)
  })
})

describeFixtures('extractFrames on the shared fixtures', () => {
  const check = (frames: DecodedFrame[], count: number, rate: number) => {
    expect(frames).toHaveLength(count)
    expect(frames[0].image).toMatchObject({ width: 640, height: 360, channels: 3 })
    frames.forEach((f, i) => {
      expect(f.index).toBe(i)
      expect(Math.abs(f.pts - i / rate)).toBeLessThanOrEqual(0.0005 + 1e-9)
    })
  }

  test('hero_360p.webm: 360 frames, pts on the 24000/1001 grid (1 ms Matroska timestamps)', async () => {
    check(await collect(extractFrames(join(FIXTURES, 'video/hero_360p.webm'))), 360, 24000 / 1001)
  })

  test('short_360p.mp4: 72 frames at 24 fps, last frame identical to ffmpeg\'s own decode', async () => {
    const path = join(FIXTURES, 'video/short_360p.mp4')
    const frames = await collect(extractFrames(path))
    check(frames, 72, 24)
    const filters = planExtraction(await probe(path)).filters.replace('showinfo=checksum=0,', '')
    const last = ffmpeg('-i', path, '-vf', `select=eq(n\\,71),${filters}`, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-')
    expect(Buffer.from(frames[71].image.data.buffer).equals(last)).toBe(true)
  })
})
