import * as path from 'node:path'
import { existsSync } from 'node:fs'
import { from } from 'rxjs'
import { saveFrames, SaveError } from '../src'
import type { FrameToSave, SaveOptions } from '../src'
import {
  collect, decodeRgb, ffmpeg, framePts, framesOf, lavfi, maxDifference, partials, probe, rawFrames, shuffledInBlocks, tempDir, withCredits,
} from './helpers'

let t: ReturnType<typeof tempDir>
beforeAll(() => {
  t = tempDir()
})
afterAll(() => t.remove())

/** A grey ramp with all 256 levels (geq) and SMPTE colour bars, both 256x64, alternating. */
async function rampAndBars(depth: 8 | 16 = 8): Promise<Array<Uint8Array | Uint16Array>> {
  const [ramp] = await rawFrames(lavfi('nullsrc=s=256x64,format=gray,geq=lum=X'), 256, 64, 1, depth)
  const [bars] = await rawFrames(lavfi('smptebars=s=256x64'), 256, 64, 1, depth)
  return [ramp, bars, ramp, bars]
}

describe('colours survive RGB -> YUV -> RGB within 2/255, with the matrix tagged', () => {
  const cases = [
    { colorspace: 'bt709', decodeMatrix: 'bt709', tag: 'bt709', codec: 'libx264' as const },
    { colorspace: 'bt601', decodeMatrix: 'bt601', tag: 'smpte170m', codec: 'libx264' as const },
    { colorspace: 'bt709', decodeMatrix: 'bt709', tag: 'bt709', codec: 'ffv1' as const },
    { colorspace: 'bt601', decodeMatrix: 'bt601', tag: 'smpte170m', codec: 'ffv1' as const },
  ]
  test.each(cases)('$colorspace with $codec (lossless yuv444p)', async ({ colorspace, decodeMatrix, tag, codec }) => {
    const images = await rampAndBars()
    const output = path.join(t.dir, `colour-${colorspace}-${codec}.mkv`)
    const lossless = codec === 'libx264' ? { crf: 0, preset: 'ultrafast' as const } : {}
    await collect(from(framesOf(images, 256, 64)).pipe(saveFrames({ output, codec, pixFmt: 'yuv444p', colorspace, frameRate: 24, ...lossless })))
    const info = await probe(output, 'stream=pix_fmt,color_space,color_primaries,color_transfer,color_range')
    expect(info.streams[0]).toEqual({ pix_fmt: 'yuv444p', color_space: tag, color_primaries: tag, color_transfer: tag, color_range: 'tv' })
    const back = await decodeRgb(output, decodeMatrix)
    const sent = Buffer.concat(images.map((i) => Buffer.from(i.buffer, i.byteOffset, i.byteLength)))
    expect(maxDifference(back, sent)).toBeLessThanOrEqual(2)
    // The wrong matrix would be visible on the bars: the tag matters.
    const wrong = await decodeRgb(output, decodeMatrix === 'bt709' ? 'bt601' : 'bt709')
    expect(maxDifference(wrong, sent)).toBeGreaterThan(10)
  })

  test('16-bit frames into 10-bit ffv1 (yuv444p10le) within 2/255 of full scale', async () => {
    const images = (await rampAndBars(16)) as Uint16Array[]
    const output = path.join(t.dir, 'colour-10bit.mkv')
    await collect(from(framesOf(images, 256, 64)).pipe(saveFrames({ output, codec: 'ffv1', pixFmt: 'yuv444p10le', colorspace: 'bt709', frameRate: 24 })))
    const info = await probe(output, 'stream=pix_fmt,color_space')
    expect(info.streams[0]).toEqual({ pix_fmt: 'yuv444p10le', color_space: 'bt709' })
    const back = await decodeRgb(output, 'bt709', 'tv', 16)
    const decoded = new Uint16Array(back.buffer, back.byteOffset, back.byteLength / 2)
    const sent = new Uint16Array(images.length * images[0].length)
    images.forEach((img, i) => sent.set(img, i * img.length))
    expect(maxDifference(decoded, sent)).toBeLessThanOrEqual((2 * 65535) / 255)
  })

  test('default yuv420p libx264: the grey ramp still within 2/255 (grey has no chroma to subsample)', async () => {
    const [ramp] = await rampAndBars()
    const output = path.join(t.dir, 'ramp-420.mp4')
    await collect(from(framesOf([ramp, ramp], 256, 64)).pipe(saveFrames({ output, crf: 0, preset: 'ultrafast', frameRate: 24 })))
    const info = await probe(output, 'stream=pix_fmt,color_space,color_range')
    // 256x64 is below HD: BT.601 (smpte170m) is chosen automatically.
    expect(info.streams[0]).toEqual({ pix_fmt: 'yuv420p', color_space: 'smpte170m', color_range: 'tv' })
    const back = await decodeRgb(output, 'bt601')
    expect(maxDifference(back.subarray(0, ramp.length), ramp)).toBeLessThanOrEqual(2)
  })
})

describe('size: the encoder scales the frames', () => {
  test('a 256-level grey ramp at half width is still a straight ramp (lanczos in the colour pass)', async () => {
    const [ramp] = await rampAndBars()
    const output = path.join(t.dir, 'ramp-half.mkv')
    await collect(from(framesOf([ramp, ramp], 256, 64)).pipe(saveFrames({ output, codec: 'ffv1', pixFmt: 'yuv444p', size: { width: 128, height: 32 }, frameRate: 24 })))
    expect((await probe(output, 'stream=width,height')).streams[0]).toEqual({ width: 128, height: 32 })
    const back = await decodeRgb(output, 'bt601')
    expect(back.length).toBe(2 * 128 * 32 * 3)
    // Pixel x covers levels 2x and 2x + 1: their mean. Lanczos is exact on a straight line away from the edges.
    let worst = 0
    for (let y = 0; y < 32; y++) for (let x = 3; x < 125; x++) worst = Math.max(worst, Math.abs(back[(y * 128 + x) * 3] - (2 * x + 0.5)))
    expect(worst).toBeLessThanOrEqual(2)
  })

  test('sizes are checked when the operator is made, with the parameter named', () => {
    const save = (size: unknown) => () => saveFrames({ output: path.join(t.dir, 'never.mkv'), size: size as { width: number; height: number } })
    expect(save({ width: -3, height: 32 })).toThrow('Expected positive integer for size.width but received -3')
    expect(save({ width: 129, height: 32 })).toThrow('Expected an even width and height for size with yuv420p but received 129x32')
    expect(save('720p')).toThrow("Expected { width, height } for size but received '720p'")
  })
})

describe("Y'CbCr 4:2:0 frames (an upscaler that converts itself)", () => {
  /** The bars and a ramp as yuv420p planes, converted by ffmpeg with BT.601 limited range. */
  async function yuvFrames(): Promise<Uint8Array[]> {
    const out = await ffmpeg([...lavfi('smptebars=s=256x64'), ...lavfi('testsrc2=s=256x64'), '-filter_complex', '[0][1]concat=n=2,format=yuv420p', '-frames:v', '2', '-f', 'rawvideo', 'pipe:1'])
    const bytes = (256 * 64 * 3) / 2
    return [0, 1].map((i) => new Uint8Array(out.subarray(i * bytes, (i + 1) * bytes)))
  }
  const yuvImage = (data: Uint8Array, matrix = 'smpte170m') => ({ format: 'yuv420p' as const, data, width: 256, height: 64, matrix, range: 'tv' as const })

  test('go to the encoder unconverted (lossless ffv1 gives back the same bytes), duplicates filled, tags written', async () => {
    const [bars, testsrc] = await yuvFrames()
    const output = path.join(t.dir, 'yuv420.mkv')
    const frames: FrameToSave[] = [
      { index: 0, image: yuvImage(bars) },
      { index: 1, image: yuvImage(testsrc) },
      { index: 2, duplicateOf: 0 },
    ]
    await collect(from(frames).pipe(saveFrames({ output, codec: 'ffv1', frameRate: 24 })))
    const info = await probe(output, 'stream=pix_fmt,color_space,color_range')
    expect(info.streams[0]).toEqual({ pix_fmt: 'yuv420p', color_space: 'smpte170m', color_range: 'tv' })
    const back = await ffmpeg(['-i', output, '-map', '0:v:0', '-f', 'rawvideo', 'pipe:1'])
    expect(maxDifference(back, Buffer.concat([bars, testsrc, bars]))).toBe(0)
  })

  test('10-bit frames (yuv420p10le in 16-bit words) reach a 10-bit encode unconverted: lossless ffv1 gives back the same samples', async () => {
    const out = await ffmpeg([...lavfi('testsrc2=s=256x64'), '-vf', 'format=yuv420p10le', '-frames:v', '2', '-f', 'rawvideo', 'pipe:1'])
    const samples = (256 * 64 * 3) / 2
    const planes = [0, 1].map((i) => new Uint16Array(new Uint8Array(out.subarray(i * samples * 2, (i + 1) * samples * 2)).buffer))
    expect(Math.max(...planes[0])).toBeGreaterThan(255)
    const output = path.join(t.dir, 'yuv420p10.mkv')
    const frames: FrameToSave[] = planes.map((data, index) => ({ index, image: { ...yuvImage(new Uint8Array(0)), format: 'yuv420p10le' as const, data } }))
    await collect(from(frames).pipe(saveFrames({ output, codec: 'ffv1', pixFmt: 'yuv420p10le', frameRate: 24 })))
    expect((await probe(output, 'stream=pix_fmt')).streams[0]).toEqual({ pix_fmt: 'yuv420p10le' })
    const back = await ffmpeg(['-i', output, '-map', '0:v:0', '-f', 'rawvideo', 'pipe:1'])
    expect(back.equals(out)).toBe(true)
  })

  test('duplicates of older kept frames (mouth flap A-B-A, a cut back to a shot) repeat the right image at their own times', async () => {
    const [bars, testsrc] = await yuvFrames()
    const grey = new Uint8Array(bars.length).fill(128)
    const kept: Record<number, Uint8Array> = { 0: bars, 1: testsrc, 4: grey }
    // 0 A, 1 B, 2 = A, 3 = B, 4 C, 5 = A (three kept frames back), 6 = C, 7 = B.
    const repeats: Record<number, number> = { 2: 0, 3: 1, 5: 0, 6: 4, 7: 1 }
    const frames: FrameToSave[] = Array.from({ length: 8 }, (_, index) =>
      index in kept ? { index, pts: index / 24, image: yuvImage(kept[index]) } : { index, pts: index / 24, duplicateOf: repeats[index] },
    )
    const output = path.join(t.dir, 'older-duplicates.mkv')
    await collect(from(frames).pipe(saveFrames({ output, codec: 'ffv1', frameRate: 24, duplicateCacheSize: 3 })))
    const back = await ffmpeg(['-i', output, '-map', '0:v:0', '-f', 'rawvideo', 'pipe:1'])
    const expected = frames.map((f) => kept[f.duplicateOf ?? f.index])
    expect(maxDifference(back, Buffer.concat(expected))).toBe(0)
    const pts = await framePts(output)
    pts.forEach((p, k) => expect(Math.abs(p - k / 24)).toBeLessThan(1e-3))
    // With room for two kept frames, frame 5 (three back) is refused with the size it needs.
    await expect(collect(from(frames).pipe(saveFrames({ output: path.join(t.dir, 'too-few.mkv'), codec: 'ffv1', frameRate: 24, duplicateCacheSize: 2 })))).rejects.toThrow(
      'Frame 5 repeats frame 0, which is no longer in the duplicate cache (it keeps the 2 most recent kept frames; frame 0 is 3 kept frames back): raise duplicateCacheSize to at least 3',
    )
    expect(partials(t.dir)).toEqual([])
  })

  test('into yuv444p: only the chroma sampling changes (luma comes back unchanged)', async () => {
    const [bars] = await yuvFrames()
    const output = path.join(t.dir, 'yuv420-to-444.mkv')
    await collect(from([{ index: 0, image: yuvImage(bars) }]).pipe(saveFrames({ output, codec: 'ffv1', pixFmt: 'yuv444p', frameRate: 24 })))
    expect((await probe(output, 'stream=pix_fmt')).streams[0]).toEqual({ pix_fmt: 'yuv444p' })
    const back = await ffmpeg(['-i', output, '-map', '0:v:0', '-f', 'rawvideo', 'pipe:1'])
    expect(back.length).toBe(256 * 64 * 3)
    expect(maxDifference(back.subarray(0, 256 * 64), bars.subarray(0, 256 * 64))).toBe(0)
  })

  test('refused with the reason: another matrix than the output is tagged with, image mode, malformed planes', async () => {
    const [bars] = await yuvFrames()
    const save = (image: FrameToSave['image'], options: Partial<SaveOptions> = {}) =>
      collect(from([{ index: 0, image }]).pipe(saveFrames({ output: path.join(t.dir, 'refused.mkv'), frameRate: 24, ...options })))
    await expect(save(yuvImage(bars, 'bt709'))).rejects.toThrow(
      'Frame 0 is yuv420p with matrix bt709 and range tv, but this 256x64 output is tagged smpte170m tv: convert with that matrix and range, or send RGB',
    )
    await expect(save(yuvImage(bars), { mode: 'images', output: path.join(t.dir, 'refused-frames') })).rejects.toThrow(
      'Frame 0 is yuv420p, but png frames are written from RGB: send RGB images in image mode',
    )
    await expect(save({ ...yuvImage(bars), width: 255 })).rejects.toThrow('Expected even width and height for the yuv420p image of frame 0 but received 255x64')
    await expect(save({ ...yuvImage(bars), data: bars.subarray(1) })).rejects.toThrow('Expected 24576 samples (256x64 yuv420p) in image data of frame 0 but received 24575')
    await expect(save({ ...yuvImage(bars), format: 'yuv420p10le' })).rejects.toThrow('Expected Uint16Array for yuv420p10le image data of frame 0 but received an object')
    expect(partials(t.dir)).toEqual([])
  })
})

describe('timestamps', () => {
  test('constant rate 24000/1001 is exact; frames arrive out of order; duplicates are filled', async () => {
    const n = 48
    const images = await rawFrames(lavfi('testsrc2=s=160x96:r=24000/1001'), 160, 96, n)
    // Every third frame is a duplicate of the kept frame before it: no image is sent for it.
    const frames: FrameToSave[] = framesOf(images, 160, 96, (i) => (i * 1001) / 24000).map((f) =>
      f.index % 3 === 2 ? { index: f.index, pts: f.pts!, duplicateOf: f.index - 1 } : f,
    )
    const output = path.join(t.dir, 'cfr.mp4')
    const events = await collect(
      withCredits(shuffledInBlocks(frames, 4), saveFrames({ output, frameRate: '24000/1001', crf: 0, preset: 'ultrafast', pixFmt: 'yuv444p' }), 8),
    )
    expect(events.filter((e) => e.type === 'written').map((e) => (e as { index: number }).index)).toEqual([...Array(n).keys()])
    expect(events.at(-1)).toEqual({ type: 'finished', output, frames: n, partial: false })
    const info = await probe(output, 'stream=r_frame_rate,avg_frame_rate,time_base,nb_read_frames,duration', ['-count_frames'])
    expect(info.streams[0]).toMatchObject({ r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', time_base: '1/24000', nb_read_frames: String(n) })
    expect(Math.abs(Number(info.streams[0].duration) - (n * 1001) / 24000)).toBeLessThan(1001 / 24000)
    const pts = await framePts(output)
    expect(pts).toHaveLength(n)
    pts.forEach((p, k) => expect(Math.abs(p - (k * 1001) / 24000)).toBeLessThan(1e-6))
    // Lossless: each duplicate decodes to exactly the frame it repeats; sent frames to themselves.
    const back = await decodeRgb(output, 'bt601')
    const size = 160 * 96 * 3
    const frameAt = (k: number) => back.subarray(k * size, (k + 1) * size)
    for (let k = 0; k < n; k++) {
      if (k % 3 === 2) expect(frameAt(k).equals(frameAt(k - 1))).toBe(true)
      else expect(maxDifference(frameAt(k), images[k])).toBeLessThanOrEqual(2)
    }
  })

  test('constant rate into Matroska keeps 24000/1001 too', async () => {
    const images = await rawFrames(lavfi('testsrc2=s=64x32:r=24'), 64, 32, 24)
    const output = path.join(t.dir, 'cfr.mkv')
    await collect(from(framesOf(images, 64, 32)).pipe(saveFrames({ output, frameRate: '24000/1001', preset: 'ultrafast' })))
    const info = await probe(output, 'stream=r_frame_rate,avg_frame_rate,nb_read_frames:format=duration', ['-count_frames'])
    expect(info.streams[0]).toMatchObject({ r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', nb_read_frames: '24' })
    expect(Math.abs(Number(info.format.duration) - (24 * 1001) / 24000)).toBeLessThan(1001 / 24000)
  })

  test("constant rate into Matroska with the source's AAC (first packet at −21 ms) and B-frames: every frame keeps its time", async () => {
    const source = path.join(t.dir, 'cfr-aac-source.mp4')
    await ffmpeg([...lavfi('testsrc2=s=64x32:r=24'), ...lavfi('sine=f=440:d=1'), '-frames:v', '24', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', '-y', source])
    const audio = await probe(source, 'packet=pts_time', ['-select_streams', 'a:0'])
    expect(Number(audio.packets[0].pts_time)).toBeLessThan(-0.02)
    const images = await rawFrames(['-i', source], 64, 32, 24)
    const output = path.join(t.dir, 'cfr-aac.mkv')
    const events = await collect(from(framesOf(images, 64, 32, (i) => i / 24)).pipe(saveFrames({ output, source, frameRate: 24, preset: 'medium' })))
    expect(events.at(-1)).toMatchObject({ type: 'finished', frames: 24 })
    expect((await probe(output, 'stream=has_b_frames', ['-select_streams', 'v:0'])).streams[0].has_b_frames).toBeGreaterThan(0)
    const pts = await framePts(output)
    expect(pts).toHaveLength(24)
    expect(Math.max(...pts.map((p, k) => Math.abs(p - k / 24)))).toBeLessThanOrEqual(0.001)
  })

  describe('variable frame rate: a real VFR clip keeps every frame time within 1 ms', () => {
    // 24 fps for 20 frames, then 60 fps for 20, then 12 fps for 20 (with audio), as a source file.
    const expr = "if(lt(N,20),N/24,if(lt(N,40),20/24+(N-20)/60,20/24+20/60+(N-40)/12))/TB"
    let source: string
    let sourcePts: number[]
    let images: Uint8Array[]
    beforeAll(async () => {
      source = path.join(t.dir, 'vfr-source.mkv')
      await ffmpeg([
        ...lavfi('testsrc2=s=96x64:r=120'), ...lavfi('sine=f=440:d=3'),
        '-vf', `setpts='${expr}'`, '-frames:v', '60', '-vsync', 'passthrough',
        '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', '-y', source,
      ])
      sourcePts = await framePts(source)
      images = (await rawFrames(['-i', source], 96, 64, 1000)) as Uint8Array[]
    })

    // The source's video starts 23 ms after its audio (AAC priming): that offset must survive too.
    test.each([
      { ext: 'mkv', preset: 'medium' as const },
      { ext: 'mp4', preset: 'medium' as const },
      { ext: 'mov', preset: 'ultrafast' as const },
    ])('into .$ext (audio copied, B-frames as the preset has them)', async ({ ext, preset }) => {
      expect(sourcePts).toHaveLength(60)
      expect(sourcePts[0]).toBeGreaterThan(0.02)
      expect(images).toHaveLength(60)
      const output = path.join(t.dir, `vfr.${ext}`)
      const frames = framesOf(images, 96, 64, (i) => sourcePts[i])
      const events = await collect(withCredits(shuffledInBlocks(frames, 3), saveFrames({ output, source, preset }), 6))
      expect(events.at(-1)).toEqual({ type: 'finished', output, frames: 60, partial: false })
      const pts = await framePts(output)
      expect(pts).toHaveLength(60)
      const worst = Math.max(...pts.map((p, i) => Math.abs(p - sourcePts[i])))
      expect(worst).toBeLessThanOrEqual(0.001)
      const info = await probe(output, 'stream=codec_type,codec_name,start_time')
      expect(info.streams.map((s: { codec_type: string }) => s.codec_type)).toEqual(['video', 'audio'])
      expect(info.streams[1].codec_name).toBe('aac')
      expect(Math.abs(Number(info.streams[1].start_time))).toBeLessThanOrEqual(0.001)
      expect(partials(t.dir)).toEqual([])
    })

    test('libx265 10-bit from 16-bit frames, VFR into .mp4 (two passes, no B-frames)', async () => {
      const output = path.join(t.dir, 'vfr-x265.mp4')
      const deep = images.map((img) => Uint16Array.from(img, (v) => v * 257))
      const events = await collect(from(framesOf(deep, 96, 64, (i) => sourcePts[i])).pipe(saveFrames({ output, codec: 'libx265', pixFmt: 'yuv420p10le', preset: 'ultrafast', colorspace: 'bt709' })))
      expect(events.at(-1)).toMatchObject({ type: 'finished', frames: 60 })
      const info = await probe(output, 'stream=codec_name,pix_fmt,color_space,color_primaries,color_transfer,has_b_frames')
      expect(info.streams[0]).toMatchObject({ codec_name: 'hevc', pix_fmt: 'yuv420p10le', color_space: 'bt709', color_primaries: 'bt709', color_transfer: 'bt709' })
      const pts = await framePts(output)
      expect(pts).toHaveLength(60)
      expect(Math.max(...pts.map((p, i) => Math.abs(p - sourcePts[i])))).toBeLessThanOrEqual(0.001)
      expect(partials(t.dir)).toEqual([])
    })

    test('into .webm with the audio transcoded to opus: times shift together by the encoder delay, intervals exact', async () => {
      const output = path.join(t.dir, 'vfr.webm')
      const frames = framesOf(images, 96, 64, (i) => sourcePts[i])
      await collect(withCredits(frames, saveFrames({ output, source, audioCodec: 'libopus', preset: 'ultrafast' }), 6))
      const pts = await framePts(output)
      expect(pts).toHaveLength(60)
      const shift = pts[0] - sourcePts[0]
      expect(Math.abs(shift)).toBeLessThanOrEqual(0.01)
      expect(Math.max(...pts.map((p, i) => Math.abs(p - shift - sourcePts[i])))).toBeLessThanOrEqual(0.001)
      const info = await probe(output, 'stream=codec_name')
      expect(info.streams.map((s: { codec_name: string }) => s.codec_name)).toEqual(['vp9', 'opus'])
    })
  })
})

describe('frames the encoder cannot take', () => {
  test('odd sizes with yuv420p are refused with what to do; nothing is left behind', async () => {
    const output = path.join(t.dir, 'odd.mkv')
    const images = await rawFrames(lavfi('testsrc2=s=66x34'), 65, 33, 1, 8, 'format=rgb24,crop=65:33:0:0')
    expect(images).toHaveLength(1)
    const error = await collect(from(framesOf(images, 65, 33)).pipe(saveFrames({ output, frameRate: 24 }))).catch((e: SaveError) => e)
    expect(error).toBeInstanceOf(SaveError)
    expect((error as SaveError).code).toBe('E_INVALID_FRAME')
    expect((error as SaveError).message).toBe("Frame 0 is 65x33 but yuv420p needs an even width and height: crop or pad to 64x32, or use pixFmt 'yuv444p'")
    expect(existsSync(output)).toBe(false)
    expect(partials(t.dir)).toEqual([])
  })

  test('odd sizes are fine with yuv444p', async () => {
    const output = path.join(t.dir, 'odd444.mkv')
    const images = await rawFrames(lavfi('testsrc2=s=66x34'), 65, 33, 2, 8, 'format=rgb24,crop=65:33:0:0')
    expect(images).toHaveLength(2)
    await collect(from(framesOf(images, 65, 33)).pipe(saveFrames({ output, frameRate: 24, pixFmt: 'yuv444p', preset: 'ultrafast' })))
    const info = await probe(output, 'stream=width,height')
    expect(info.streams[0]).toEqual({ width: 65, height: 33 })
  })

  test('a frame of another size or malformed data is a clear error', async () => {
    const a = new Uint8Array(64 * 32 * 3)
    const frames: FrameToSave[] = [
      { index: 0, image: { data: a, width: 64, height: 32, channels: 3 } },
      { index: 1, image: { data: new Uint8Array(32 * 32 * 3), width: 32, height: 32, channels: 3 } },
    ]
    await expect(collect(from(frames).pipe(saveFrames({ output: path.join(t.dir, 'size.mkv'), frameRate: 24 })))).rejects.toThrow(
      'Frame 1 is 32x32 rgb24 but the stream started as 64x32 rgb24: every frame must have the same size and type',
    )
    const short: FrameToSave[] = [{ index: 0, image: { data: a.subarray(1), width: 64, height: 32, channels: 3 } }]
    await expect(collect(from(short).pipe(saveFrames({ output: path.join(t.dir, 'short.mkv'), frameRate: 24 })))).rejects.toThrow(
      'Expected 6144 values (64x32x3) in image data of frame 0 but received 6143',
    )
    expect(partials(t.dir)).toEqual([])
  })
})
