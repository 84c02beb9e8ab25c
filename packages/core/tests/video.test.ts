import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Subject, filter, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs'
import { probe, readFrame, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { createUpscaler } from '@anime-upscaler/stage-upscale'
import { upscaleVideo, upscaleVideoToFile, type VideoEvent } from '../src'
import { ffmpegChildren, useTempDir } from './helpers'

const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()
const options = { model: 'anime4k-s', workers: 1, threads: 2, encoder: { preset: 'ultrafast' as const } }

/** A small clip with sound, made by ffmpeg's lavfi sources. */
function makeClip(name: string, frames: number, size = '96x64'): string {
  const file = join(tempDir(), name)
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24:duration=${frames / 24}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${frames / 24}`, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file])
  return file
}

function leftovers(): string[] {
  return readdirSync(tempDir()).filter((f) => f.includes('.partial'))
}

describe('upscaleVideo', () => {
  test('decodes, upscales and encodes every frame with the audio kept; events report each stage', async () => {
    const input = makeClip('clip.mp4', 48)
    const output = join(tempDir(), 'clip-2x.mkv')
    const events = await lastValueFrom(upscaleVideo(input, output, { ...options, planFile: join(tempDir(), 'plan.json') }).pipe(toArray()))
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    expect(start).toMatchObject({ type: 'start', outputWidth: 192, outputHeight: 128, mode: 'concurrent', source: { width: 96, height: 64, frames: 48, frameRate: '24/1' } })
    const last = events.at(-1)
    expect(last).toMatchObject({ type: 'done', frames: 48, partial: false })
    const lastProgress = events.filter((e) => e.type === 'progress').at(-1)
    expect(lastProgress).toMatchObject({ decoded: 48, upscaled: 48, encoded: 48, percent: 100 })

    const info = await probe(output)
    expect([info.video.width, info.video.height, info.video.frameCount]).toEqual([192, 128, 48])
    expect(info.video.frameRate).toEqual({ num: 24, den: 1 })
    expect(info.streams.map((s) => s.type).sort()).toEqual(['audio', 'video'])
    expect(Math.abs(info.duration - 2)).toBeLessThan(1 / 24 + 0.03)

    const plan = JSON.parse(readFileSync(join(tempDir(), 'plan.json'), 'utf8'))
    expect(plan.frames).toHaveLength(48)
    for (const frame of plan.frames) expect(frame.decodedAt <= frame.upscaledAt && frame.upscaledAt <= frame.encodedAt).toBe(true)
    expect(leftovers()).toEqual([])
  })

  test('sequential mode (auto below the threshold) gives the same frames', async () => {
    const input = makeClip('short.mp4', 12)
    const output = join(tempDir(), 'short-seq.mkv')
    const events = await lastValueFrom(upscaleVideo(input, output, { ...options, mode: 'auto', autoThreshold: 100 }).pipe(toArray()))
    expect(events[0]).toMatchObject({ mode: 'sequential', capacity: 1 })
    expect((await probe(output)).video.frameCount).toBe(12)
  })

  test("the source's primaries and transfer are kept; the matrix suits the output size", async () => {
    // A BT.709-tagged SD clip stays SD after 2x (192x128): matrix smpte170m, primaries/transfer still BT.709.
    const input = join(tempDir(), 'tagged-709.mp4')
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=0.5', '-vf', 'scale=out_color_matrix=bt709,format=yuv420p', '-c:v', 'libx264', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', input])
    expect((await probe(input)).video.color).toMatchObject({ matrix: 'bt709', primaries: 'bt709', transfer: 'bt709' })
    const output = join(tempDir(), 'tagged-709-2x.mkv')
    await lastValueFrom(upscaleVideo(input, output, options))
    expect((await probe(output)).video.color).toMatchObject({ matrix: 'smpte170m', primaries: 'bt709', transfer: 'bt709' })
  })

  test("frames reach the encoder as the model's Y'CbCr 4:2:0 when they can, as RGB otherwise, and the pictures agree", async () => {
    const input = makeClip('yuv.mp4', 12)
    const lossless = { ...options, encoder: { codec: 'ffv1' as const } }
    const decode = (file: string) => execFileSync(ffmpeg, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], { maxBuffer: 1 << 26 })
    const outputs: Record<string, Buffer> = {}
    for (const frameFormat of ['auto', 'rgb'] as const) {
      const output = join(tempDir(), `yuv-${frameFormat}.mkv`)
      const events = await lastValueFrom(upscaleVideo(input, output, { ...lossless, frameFormat }).pipe(toArray()))
      expect(events[0]).toMatchObject({ type: 'start', frameFormat: frameFormat === 'auto' ? 'yuv420p' : 'rgb' })
      expect(await probe(output)).toMatchObject({ video: { width: 192, height: 128, frameCount: 12, pixelFormat: 'yuv420p', color: { matrix: 'smpte170m', range: 'tv' } } })
      outputs[frameFormat] = decode(output)
    }
    // Same model, same matrix: only rounding, clipping order and the chroma filter differ.
    let squared = 0
    for (let i = 0; i < outputs.auto.length; i++) squared += (outputs.auto[i] - outputs.rgb[i]) ** 2
    const psnr = 10 * Math.log10((255 * 255) / (squared / outputs.auto.length))
    expect(psnr).toBeGreaterThan(40)

    // Anything but an 8-bit yuv420p video at the model's scale stays RGB.
    const startOf = async (extra: Parameters<typeof upscaleVideo>[2]) =>
      firstValueFrom(upscaleVideo(input, join(tempDir(), 'never.mkv'), { ...options, ...extra }).pipe(filter((e) => e.type === 'start')))
    expect(await startOf({ encoder: { pixFmt: 'yuv444p' } })).toMatchObject({ frameFormat: 'rgb' })
    expect(await startOf({ target: { scale: 3 } })).toMatchObject({ frameFormat: 'rgb' })
    await expect(startOf({ frameFormat: 'yuv' as 'rgb' })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'frameFormat', message: "Expected one of 'auto', 'rgb' for frameFormat but received 'yuv'" })
  })

  test("a size other than the model's is reached by the encoder's scaler, close to the engine's own lanczos resample", async () => {
    const input = makeClip('scaled.mp4', 6)
    const output = join(tempDir(), 'scaled-1.5x.mkv')
    const events = await lastValueFrom(upscaleVideo(input, output, { ...options, encoder: { codec: 'ffv1' }, target: { width: 144 } }).pipe(toArray()))
    // One model pass (2x), then 192x128 → 144x96 in the encoder; the model still outputs Y'CbCr.
    expect(events[0]).toMatchObject({ type: 'start', outputWidth: 144, outputHeight: 96, frameFormat: 'yuv420p' })
    expect(await probe(output)).toMatchObject({ video: { width: 144, height: 96, frameCount: 6 } })

    const upscaler = await createUpscaler({ model: options.model, workers: 1 })
    try {
      const reference = await upscaler.upscale((await readFrame(input, 0)).image, { width: 144 })
      const encoded = execFileSync(ffmpeg, ['-v', 'error', '-i', output, '-frames:v', '1', '-vf', 'scale=in_color_matrix=bt601:flags=bicubic+accurate_rnd+full_chroma_int,format=rgb24', '-f', 'rawvideo', 'pipe:1'])
      let squared = 0
      for (let i = 0; i < encoded.length; i++) squared += (encoded[i] - reference.data[i]) ** 2
      expect(10 * Math.log10((255 * 255) / (squared / encoded.length))).toBeGreaterThan(30)
    } finally {
      await upscaler.close()
    }
  })

  test('pause holds every count steady; resume finishes the job', async () => {
    const input = makeClip('pause.mp4', 96)
    const output = join(tempDir(), 'pause-2x.mkv')
    const paused = new Subject<boolean>()
    let latest = { decoded: 0, upscaled: 0, encoded: 0 }
    const finished = new Promise<VideoEvent>((resolve, reject) => {
      upscaleVideo(input, output, { ...options, paused, capacity: 4 }).subscribe({
        next: (event) => {
          if (event.type === 'progress') {
            latest = { decoded: event.decoded, upscaled: event.upscaled, encoded: event.encoded }
            if (event.encoded === 8) paused.next(true)
          }
          if (event.type === 'done') resolve(event)
        },
        error: reject,
      })
    })
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    while (latest.encoded < 8) await sleep(20)
    await sleep(1000) // frames already in flight finish
    const held = { ...latest }
    await sleep(2000)
    expect(latest).toEqual(held)
    expect(held.decoded).toBeLessThan(96)
    expect(held.decoded - held.encoded).toBeLessThanOrEqual(4)
    paused.next(false)
    expect(await finished).toMatchObject({ type: 'done', frames: 96 })
  })

  test('an abort ends ffmpeg and the workers and leaves nothing at the destination', async () => {
    const input = makeClip('abort.mp4', 96)
    const output = join(tempDir(), 'abort-2x.mkv')
    const controller = new AbortController()
    const events = upscaleVideo(input, output, { ...options, signal: controller.signal, capacity: 4 })
    const failure = new Promise<unknown>((resolve) => {
      events.subscribe({
        next: (event) => {
          if (event.type === 'progress' && event.encoded === 3) controller.abort()
        },
        error: resolve,
        complete: () => resolve(new Error('completed although aborted')),
      })
    })
    expect(await failure).toMatchObject({ code: 'E_ABORTED' })
    // The error comes once everything is cleaned up: nothing to wait for.
    expect(existsSync(output)).toBe(false)
    expect(leftovers()).toEqual([])
    expect(ffmpegChildren()).toEqual([])
  })

  test('unsubscribing mid-run (stop) leaves no process and no file', async () => {
    const input = makeClip('stop.mp4', 96)
    const output = join(tempDir(), 'stop-2x.mkv')
    await firstValueFrom(upscaleVideo(input, output, { ...options, capacity: 4 }).pipe(filter((e) => e.type === 'progress' && e.encoded >= 2), take(1)))
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(existsSync(output)).toBe(false)
    expect(leftovers()).toEqual([])
    expect(ffmpegChildren()).toEqual([])
  })

  test('errors name the stage: not media, existing output, bad options', async () => {
    const text = join(tempDir(), 'notes.mkv')
    writeFileSync(text, 'this is not a video\n')
    await expect(upscaleVideoToFile(text, join(tempDir(), 'x.mkv'), options)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', stage: 'input' })
    const input = makeClip('exists.mp4', 6)
    writeFileSync(join(tempDir(), 'taken.mkv'), 'keep')
    await expect(upscaleVideoToFile(input, join(tempDir(), 'taken.mkv'), options)).rejects.toMatchObject({ code: 'E_OUTPUT_EXISTS', stage: 'output' })
    expect(readFileSync(join(tempDir(), 'taken.mkv'), 'utf8')).toBe('keep')
    await expect(upscaleVideoToFile(input, join(tempDir(), 'y.mkv'), { ...options, capacity: -1 })).rejects.toThrow('Expected positive integer for capacity but received -1')
    await expect(upscaleVideoToFile(input, join(tempDir(), 'y.mp4'), { ...options, encoder: { crf: 99 } })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    expect(existsSync(join(tempDir(), 'y.mp4'))).toBe(false)
  })
})
