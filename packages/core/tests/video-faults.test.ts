// What the pipeline does with awkward inputs and failures: each ends cleanly, with the stage named,
// no ffmpeg left running and nothing partial at the destination.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { probe, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { upscaleVideo, upscaleVideoToFile } from '../src'
import { ffmpegChildren, useTempDir } from './helpers'

const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()
const options = { model: 'anime4k-s', workers: 1, threads: 2, encoder: { preset: 'ultrafast' as const } }

function make(name: string, args: string[]): string {
  const file = join(tempDir(), name)
  execFileSync(ffmpeg, ['-v', 'error', ...args, file])
  return file
}

function partials(folder = tempDir()): string[] {
  return readdirSync(folder).filter((f) => f.includes('.partial'))
}


test('odd dimensions: 2x stays exact; a 1x target is rounded down to even for yuv420p', async () => {
  // Cropped in RGB and stored as 4:4:4: a 4:2:0 pipeline would round the size to even on its own.
  const input = make('odd.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=162x122:rate=10:duration=0.5', '-vf', 'format=rgb24,crop=161:121:0:0,format=yuv444p', '-c:v', 'ffv1'])
  expect((await probe(input)).video.width).toBe(161)
  await upscaleVideoToFile(input, join(tempDir(), 'odd-2x.mkv'), options)
  expect((await probe(join(tempDir(), 'odd-2x.mkv'))).video).toMatchObject({ width: 322, height: 242, frameCount: 5 })
  await upscaleVideoToFile(input, join(tempDir(), 'odd-1x.mkv'), { ...options, target: { scale: 1 } })
  expect((await probe(join(tempDir(), 'odd-1x.mkv'))).video).toMatchObject({ width: 160, height: 120 })
})

test('a 10-bit source goes through in 16-bit and is written as 10-bit by default, or as 8-bit from the model when asked', async () => {
  const input = make('ten.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=10:duration=0.5', '-pix_fmt', 'yuv420p10le', '-c:v', 'libx265', '-x265-params', 'log-level=error'])
  expect((await probe(input)).video.bitDepth).toBe(10)
  for (const codec of ['libx265', 'libx264'] as const) {
    const output = join(tempDir(), `ten-2x-${codec}.mkv`)
    const events = await lastValueFrom(upscaleVideo(input, output, { ...options, encoder: { preset: 'ultrafast', codec } }).pipe(toArray()))
    expect(events[0]).toMatchObject({ type: 'start', pixFmt: 'yuv420p10le', frameFormat: 'yuv420p10le' })
    expect((await probe(output)).video).toMatchObject({ width: 128, height: 96, bitDepth: 10, pixelFormat: 'yuv420p10le', frameCount: 5 })
  }

  // The model's own 10-bit Y'CbCr agrees with RGB converted by ffmpeg (lossless ffv1, compared on the 10-bit scale).
  const tenBit: Uint16Array[] = []
  for (const frameFormat of ['auto', 'rgb'] as const) {
    const output = join(tempDir(), `ten-2x-ffv1-${frameFormat}.mkv`)
    await upscaleVideoToFile(input, output, { ...options, frameFormat, encoder: { codec: 'ffv1' } })
    const raw = execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', output, '-f', 'rawvideo', '-pix_fmt', 'yuv420p10le', 'pipe:1'])
    tenBit.push(new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2))
  }
  let tenSquared = 0
  for (let i = 0; i < tenBit[0].length; i++) tenSquared += (tenBit[0][i] - tenBit[1][i]) ** 2
  expect(10 * Math.log10((1023 * 1023) / (tenSquared / tenBit[0].length))).toBeGreaterThan(40)

  // Into 8-bit yuv420p the model reads the 16-bit RGB and outputs 8-bit Y'CbCr, as the RGB path would round.
  const decoded: Buffer[] = []
  for (const frameFormat of ['auto', 'rgb'] as const) {
    const eight = join(tempDir(), `ten-to-8-${frameFormat}.mkv`)
    const events = await lastValueFrom(upscaleVideo(input, eight, { ...options, frameFormat, encoder: { codec: 'ffv1', pixFmt: 'yuv420p' } }).pipe(toArray()))
    expect(events[0]).toMatchObject({ type: 'start', frameFormat: frameFormat === 'auto' ? 'yuv420p' : 'rgb' })
    expect((await probe(eight)).video).toMatchObject({ width: 128, height: 96, bitDepth: 8, pixelFormat: 'yuv420p', frameCount: 5 })
    decoded.push(execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', eight, '-f', 'rawvideo', 'pipe:1']))
  }
  let squared = 0
  for (let i = 0; i < decoded[0].length; i++) squared += (decoded[0][i] - decoded[1][i]) ** 2
  expect(10 * Math.log10((255 * 255) / (squared / decoded[0].length))).toBeGreaterThan(40)
})

test('rotation metadata: frames are upscaled upright', async () => {
  const stored = make('stored.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=64x32:rate=10:duration=0.5', '-c:v', 'libx264'])
  const input = make('rotated.mp4', ['-i', stored, '-c', 'copy', '-metadata:s:v:0', 'rotate=90'])
  const info = await probe(input)
  expect([info.video.displayWidth, info.video.displayHeight]).toEqual([32, 64])
  const output = join(tempDir(), 'rotated-2x.mkv')
  await upscaleVideoToFile(input, output, options)
  expect((await probe(output)).video).toMatchObject({ width: 64, height: 128 })
})

test('a truncated file: the decoder stage fails, nothing is left', async () => {
  const input = make('cut.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=4', '-c:v', 'libx264', '-movflags', '+faststart'])
  truncateSync(input, Math.floor(statSync(input).size * 0.6))
  const output = join(tempDir(), 'cut-2x.mkv')
  await expect(upscaleVideoToFile(input, output, options)).rejects.toMatchObject({ stage: expect.stringMatching(/input|decode/) })
  expect(existsSync(output)).toBe(false)
  expect(partials()).toEqual([])
  expect(ffmpegChildren()).toEqual([])
})

test('a 0-frame video is refused at the input', async () => {
  const input = make('empty.mkv', ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=1', '-frames:v', '0', '-c:v', 'libx264'])
  await expect(upscaleVideoToFile(input, join(tempDir(), 'empty-2x.mkv'), options)).rejects.toMatchObject({ code: 'E_INPUT_INVALID', stage: 'input' })
})

test('the decoder killed mid-run: an error naming the decode stage, nothing left', async () => {
  const input = make('long.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=160x96:rate=24:duration=20', '-c:v', 'libx264', '-preset', 'ultrafast'])
  const output = join(tempDir(), 'killed-2x.mkv')
  // The decoder is the ffmpeg that runs showinfo (stage-extract reads timestamps from it).
  const killDecoder = () => {
    for (const pid of ffmpegChildren()) if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('showinfo')) process.kill(pid, 'SIGKILL')
  }
  const failure = await new Promise<unknown>((resolve) => {
    upscaleVideo(input, output, { ...options, capacity: 4 }).subscribe({
      next: (event) => {
        if (event.type === 'progress' && event.encoded === 2) killDecoder()
      },
      error: resolve,
      complete: () => resolve(new Error('completed although the decoder was killed')),
    })
  })
  expect(failure).toMatchObject({ code: 'E_DECODE', stage: 'decode', message: expect.stringMatching(/^ffmpeg was killed by SIGKILL/) })
  expect(existsSync(output)).toBe(false)
  expect(partials()).toEqual([])
  expect(ffmpegChildren()).toEqual([])
})

test('stop within the first second: nothing left', async () => {
  const input = make('early.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast'])
  for (const delay of [0, 50, 300]) {
    const output = join(tempDir(), `early-${delay}.mkv`)
    const controller = new AbortController()
    const run = upscaleVideoToFile(input, output, { ...options, signal: controller.signal })
    setTimeout(() => controller.abort(), delay)
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' })
      expect(existsSync(output)).toBe(false)
  }
  expect(partials()).toEqual([])
  expect(ffmpegChildren()).toEqual([])
})

const canMount = process.getuid?.() === 0
;(canMount ? test : test.skip)(`the output disk full (a 1 MiB tmpfs)${canMount ? '' : ' — SKIPPED: needs root to mount a tmpfs'}`, async () => {
  const disk = join(tempDir(), 'small-disk')
  mkdirSync(disk)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk])
  try {
    const input = make('big.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=160x96:rate=24:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast'])
    const output = join(disk, 'out.mkv')
    const error = await upscaleVideoToFile(input, output, { ...options, encoder: { codec: 'ffv1' } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_NO_SPACE', stage: 'output', message: expect.stringMatching(/disk is full/i) })
      expect(readdirSync(disk)).toEqual([])
    expect(ffmpegChildren()).toEqual([])
  } finally {
    execFileSync('umount', [disk])
  }
})
