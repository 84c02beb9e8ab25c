// Segmented jobs: a video cut into segments, each upscaled and encoded on its own, then joined, gives
// the file one run gives (every frame at its time, the source's streams once); a stopped job continues
// from its finished segments; a job folder of another job is refused.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom, toArray } from 'rxjs'
import { probe, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { defaultJobFolder, joinSegmentedJob, listInterruptedJobs, openSegmentUpscaler, planSegmentedJob, upscaleVideo, upscaleVideoToFile, type VideoEvent } from '../src'
import { FIXTURES, assScript, ffmpegChildren, frameTimes, journal, stopAfter, useOwnCacheHome, useTempDir } from './helpers'

const tempDir = useTempDir()
useOwnCacheHome(tempDir)
const ffmpeg = resolveFfmpeg()
const options = { model: 'anime4k-s', workers: 2, threads: 1, encoder: { preset: 'ultrafast' as const } }
/** Half-second segments: six in three seconds, cut between keyframes as well as at them. */
const segmented = { ...options, segments: { seconds: 0.5 } }
/** One-second segments: in the variable rate clip, one at 24 fps, one at 60 and one at 12. */
const perSecond = { ...options, segments: { seconds: 1 } }
// A loaded 2-core machine runs these several times slower than an idle one.
jest.setTimeout(300_000)

function run(args: string[]): void {
  execFileSync(ffmpeg, ['-v', 'error', ...args])
}

/** Sources made by lavfi (and mkvmerge), 96x64, about three seconds with sound. */
const SOURCES: Record<string, () => string> = {
  'constant 24 fps H.264 + AAC in MP4': () => {
    const file = join(tempDir(), 'cfr.mp4')
    run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '16', '-c:a', 'aac', '-shortest', '-y', file])
    return file
  },
  'variable rate (24, 60, 12 fps) H.264 + FLAC in MKV': () => {
    const file = join(tempDir(), 'vfr.mkv')
    const pts = "setpts='if(lt(N,24),N/24,if(lt(N,84),1+(N-24)/60,2+(N-84)/12))/TB'"
    run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=120', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-vf', pts, '-frames:v', '96', '-vsync', 'passthrough', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'flac', '-y', file])
    return file
  },
  '10-bit 23.976 fps H.265 MKV with ASS subtitles, a font and chapters (mkvmerge)': () => {
    const dir = join(tempDir(), 'mkvmerge')
    mkdirSync(dir, { recursive: true })
    const video = join(dir, 'video.mkv')
    run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24000/1001:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-pix_fmt', 'yuv420p10le', '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=20', '-c:a', 'aac', '-y', video])
    writeFileSync(join(dir, 'subs.ass'), assScript(96, 64))
    writeFileSync(join(dir, 'TestSans.ttf'), Buffer.from('not really a font, but attached as one'))
    writeFileSync(join(dir, 'chapters.txt'), 'CHAPTER01=00:00:00.000\nCHAPTER01NAME=Part A\nCHAPTER02=00:00:01.500\nCHAPTER02NAME=Part B\n')
    const file = join(tempDir(), 'ten-subs-fonts.mkv')
    const mime = ['--attachment-mime-type', 'application/x-truetype-font', '--attach-file', join(dir, 'TestSans.ttf')]
    execFileSync('mkvmerge', ['-q', '-o', file, '--chapters', join(dir, 'chapters.txt'), ...mime, video, join(dir, 'subs.ass')])
    return file
  },
}

/** Each source, made once. */
const made = new Map<string, string>()
function sourceFile(name: string): string {
  if (!made.has(name)) made.set(name, SOURCES[name]())
  return made.get(name)!
}

/** An unsegmented run of each source, made once and compared with every segmented run of it. */
const wholes = new Map<string, Promise<string>>()
function wholeOf(input: string): Promise<string> {
  if (!wholes.has(input)) {
    const output = join(tempDir(), `${input.split('/').at(-1)}-whole.mkv`)
    wholes.set(input, upscaleVideoToFile(input, output, options).then(() => output))
  }
  return wholes.get(input)!
}

/** The streams as the output holds them: type and codec (the video's codec is the encoder's). */
async function streamsOf(file: string): Promise<string[]> {
  const info = await probe(file)
  return [...info.streams.map((s) => `${s.type}:${s.type === 'attachment' ? s.filename : s.codec}`), ...info.chapters.map((c) => `chapter:${c.title}`)]
}

function leftovers(): string[] {
  const jobs = existsSync(join(tempDir(), 'cache', 'anime-upscaler', 'jobs')) ? readdirSync(join(tempDir(), 'cache', 'anime-upscaler', 'jobs')) : []
  return [...readdirSync(tempDir()).filter((f) => f.includes('.partial') || f.endsWith('.job')), ...jobs.map((f) => `listed: ${f}`)]
}

describe('segmented output equals unsegmented output', () => {
  test.each(Object.keys(SOURCES))('%s: frame count, every timestamp, every stream once', async (name) => {
    const input = sourceFile(name)
    const stem = name.slice(0, 8).replace(/\W+/g, '-')
    const parts = join(tempDir(), `${stem}-segmented.mkv`)
    const whole = await wholeOf(input)
    const events = await lastValueFrom(upscaleVideo(input, parts, perSecond).pipe(toArray()))
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    expect(start.segments).toMatchObject({ count: 3, done: 0 })
    const source = frameTimes(input)
    expect(events.at(-1)).toMatchObject({ type: 'done', frames: source.length, partial: false })
    expect(frameTimes(parts)).toEqual(frameTimes(whole))
    // Against the source: Matroska keeps milliseconds, so within 1 ms (float noise aside).
    expect(frameTimes(parts).filter((t, i) => Math.abs(t - source[i]) > 0.0010001)).toEqual([])
    expect(await streamsOf(parts)).toEqual(await streamsOf(whole))
    // The last frame's display time is the encoder's guess from its own stream's rate (variable
    // rate: its segment's, 1/12 s here, where the whole video's guess is 1/24 s): within one frame.
    expect(Math.abs((await probe(parts)).duration - (await probe(whole)).duration)).toBeLessThanOrEqual(1 / 12 + 0.001)
    expect(leftovers()).toEqual([])
  })

  // x264's presets other than ultrafast write B-frames: a segment's first packet then has no dts of
  // its own. With MP4's AAC priming, remuxed into Matroska, the video also starts off the rate's grid
  // (21 ms), so the segments get a finer time base; the concat demuxer cannot seek in such NUT files.
  test('B-frames, and a video that starts off the grid (an MP4 with AAC remuxed into MKV): the frames of an unsegmented run', async () => {
    const mp4 = join(tempDir(), 'remux-source.mp4')
    const input = join(tempDir(), 'remuxed.mkv')
    run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=3', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-c:v', 'libx264', '-preset', 'fast', '-g', '24', '-c:a', 'aac', '-shortest', '-y', mp4])
    run(['-i', mp4, '-map', '0', '-c', 'copy', '-y', input])
    const withBFrames = { ...options, encoder: { preset: 'veryfast' as const } }
    const whole = join(tempDir(), 'remuxed-whole.mkv')
    const parts = join(tempDir(), 'remuxed-segmented.mkv')
    await upscaleVideoToFile(input, whole, withBFrames)
    await upscaleVideoToFile(input, parts, { ...withBFrames, segments: { seconds: 1 } })
    expect(frameTimes(input)[0]).toBeCloseTo(0.021, 3)
    expect(frameTimes(parts)).toEqual(frameTimes(whole))
    expect(await streamsOf(parts)).toEqual(await streamsOf(whole))
    expect(leftovers()).toEqual([])
  })

  const fixtures = ['hero_360p.webm', 'short_360p.mp4'].map((name) => join(FIXTURES, 'video', name))
  for (const fixture of fixtures) {
    const name = fixture.split('/').at(-1)!
    ;(existsSync(fixture) ? test : test.skip)(`${name}${existsSync(fixture) ? '' : ' — SKIPPED: ../shared/fixtures is missing'}: the same frames at the same times, audio once`, async () => {
      // hero_360p (360 frames): against the source's times only, which an unsegmented run keeps
      // within 1 ms (matroska-sources, video tests); short_360p also against an unsegmented run.
      const fast = { ...options, target: { scale: 1 } }
      const parts = join(tempDir(), `${name}-segmented.mkv`)
      await upscaleVideoToFile(fixture, parts, { ...fast, segments: { seconds: 1.1 } })
      const source = frameTimes(fixture)
      expect(frameTimes(parts)).toHaveLength(source.length)
      expect(frameTimes(parts).filter((t, i) => Math.abs(t - source[i]) > 0.0010001)).toEqual([])
      if (name.startsWith('short')) {
        const whole = join(tempDir(), `${name}-whole.mkv`)
        await upscaleVideoToFile(fixture, whole, fast)
        expect(frameTimes(parts)).toEqual(frameTimes(whole))
        expect(await streamsOf(parts)).toEqual(await streamsOf(whole))
      }
      expect((await streamsOf(parts)).filter((s) => !s.startsWith('video'))).toEqual((await streamsOf(fixture)).filter((s) => !s.startsWith('video')))
      expect(leftovers()).toEqual([])
    })
  }
})

/** A clip whose frames are all the same picture: every frame but a segment's first is a duplicate. */
function stillClip(): string {
  const file = join(tempDir(), 'still.mp4')
  if (!existsSync(file)) run(['-f', 'lavfi', '-i', 'color=c=orange:size=96x64:rate=24:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '12', '-y', file])
  return file
}

test('the first frame of every segment is upscaled: duplicate detection starts anew in each segment', async () => {
  const input = stillClip()
  const planFile = join(tempDir(), 'still-plan.json')
  const job = await planSegmentedJob(input, join(tempDir(), 'still-2x.mkv'), segmented)
  const done = await upscaleVideoToFile(input, join(tempDir(), 'still-2x.mkv'), { ...segmented, planFile })
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { frames: { index: number; decision: string }[] }
  const upscaled = plan.frames.filter((f) => f.decision === 'upscale').map((f) => f.index)
  expect(upscaled).toEqual(job.segments.map((s) => s.first))
  expect(done).toMatchObject({ frames: 48, unique: job.segments.length, duplicates: 48 - job.segments.length })
})

describe('resume', () => {
  test('a stopped job keeps its finished segments; the same call continues from them and gives the same file', async () => {
    const input = sourceFile('constant 24 fps H.264 + AAC in MP4')
    const output = join(tempDir(), 'resumed.mkv')
    const error = await stopAfter(input, output, 2, segmented)
    expect(error).toMatchObject({ code: 'E_ABORTED', message: expect.stringContaining('kept') })
    const folder = defaultJobFolder(output)
    const entries = journal(folder)
    const done = new Set(entries.filter((e) => e.event === 'done').map((e) => e.index))
    expect(done.size).toBeGreaterThanOrEqual(2)
    expect(existsSync(output)).toBe(false)
    expect(ffmpegChildren()).toEqual([])
    expect(await listInterruptedJobs()).toEqual([expect.objectContaining({ folder, input, segmentsDone: done.size })])

    const events = await lastValueFrom(upscaleVideo(input, output, segmented).pipe(toArray()))
    const start = events[0] as Extract<VideoEvent, { type: 'start' }>
    expect(start.segments).toMatchObject({ done: done.size })
    const firstProgress = events.find((e): e is Extract<VideoEvent, { type: 'progress' }> => e.type === 'progress')!
    expect(firstProgress.encoded).toBeGreaterThan(done.size * 10)
    expect(existsSync(folder)).toBe(false)
    expect(await listInterruptedJobs()).toEqual([])
    expect(frameTimes(output)).toEqual(frameTimes(await wholeOf(input)))
    expect(leftovers()).toEqual([])
  })

  test('a job folder of other settings or another source is refused, naming resume.restart; restart discards it', async () => {
    const input = sourceFile('constant 24 fps H.264 + AAC in MP4')
    const output = join(tempDir(), 'changed.mkv')
    await stopAfter(input, output, 1, segmented)
    expect(existsSync(defaultJobFolder(output))).toBe(true)
    const changed = { ...segmented, encoder: { ...segmented.encoder, crf: 30 } }
    const refused = await upscaleVideoToFile(input, output, changed).catch((e: unknown) => e)
    expect(refused).toMatchObject({ code: 'E_JOB_MISMATCH', option: 'resume.restart', message: expect.stringMatching(/encoder\.crf unset → 30.*restart: true/) })

    const other = join(tempDir(), 'other-source.mp4')
    run(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=24:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', other])
    const otherSource = await upscaleVideoToFile(other, output, segmented).catch((e: unknown) => e)
    expect(otherSource).toMatchObject({ code: 'E_JOB_MISMATCH', message: expect.stringMatching(/another source/) })

    const done = await upscaleVideoToFile(input, output, { ...changed, resume: { restart: true } })
    expect(done.frames).toBe(72)
    expect(leftovers()).toEqual([])
  })

  test('resume: false removes the job folder when the job stops', async () => {
    const input = stillClip()
    const output = join(tempDir(), 'no-resume.mkv')
    expect(await stopAfter(input, output, 1, { ...segmented, resume: false })).toMatchObject({ code: 'E_ABORTED' })
    expect(leftovers()).toEqual([])
  })
})

const canMount = process.getuid?.() === 0
;(canMount ? test : test.skip)(`the output disk full while joining (a 256 KiB tmpfs)${canMount ? '' : ' — SKIPPED: needs root to mount a tmpfs'}: E_NO_SPACE, nothing at the output, the segments kept`, async () => {
  const disk = join(tempDir(), 'small-disk')
  mkdirSync(disk)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk])
  try {
    const input = join(tempDir(), 'noise.mp4')
    run(['-f', 'lavfi', '-i', 'nullsrc=size=96x64:rate=24:duration=2,geq=random(1)*255:128:128', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', input])
    const folder = join(tempDir(), 'full-disk.job')
    const error = await upscaleVideoToFile(input, join(disk, 'out.mkv'), { ...segmented, encoder: { codec: 'ffv1' }, resume: { folder } }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'E_NO_SPACE', stage: 'output', message: expect.stringMatching(/disk is full/i) })
    expect(readdirSync(disk)).toEqual([])
    expect(journal(folder).filter((e) => e.event === 'done').length).toBeGreaterThanOrEqual(4)
    expect(ffmpegChildren()).toEqual([])
  } finally {
    execFileSync('umount', [disk])
  }
})

describe('the segment API (what a distributed worker uses)', () => {
  test('plan, upscale each segment (twice: the same file again), join: the file upscaleVideo gives', async () => {
    const input = sourceFile('constant 24 fps H.264 + AAC in MP4')
    const output = join(tempDir(), 'api.mkv')
    const job = await planSegmentedJob(input, output, segmented)
    expect(JSON.parse(JSON.stringify(job))).toEqual(job)
    expect(job.segments.reduce((sum, s) => sum + s.frames, 0)).toBe(job.frames)
    const folder = join(tempDir(), 'api-segments')
    mkdirSync(folder)
    const upscaler = await openSegmentUpscaler(job, segmented)
    const files = job.segments.map((s) => join(folder, `${s.index}.seg`))
    try {
      for (const segment of job.segments) await upscaler.upscaleSegment(segment.index, files[segment.index])
      const again = await upscaler.upscaleSegment(1, files[1])
      expect(again).toMatchObject({ frames: job.segments[1].frames })
      await expect(upscaler.upscaleSegment(job.segments.length, join(folder, 'x.seg'))).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    } finally {
      await upscaler.close()
    }
    expect(readdirSync(folder).sort()).toEqual(files.map((f) => f.split('/').at(-1)).sort())
    await joinSegmentedJob(job, files, segmented)
    expect(frameTimes(output)).toEqual(frameTimes(await wholeOf(input)))
  })

  test('a worker with another model, or another version of core, is refused before any work', async () => {
    const input = stillClip()
    const job = await planSegmentedJob(input, join(tempDir(), 'model.mkv'), segmented)
    await expect(openSegmentUpscaler(job, { ...segmented, model: 'anime4k-m' })).rejects.toMatchObject({ code: 'E_JOB_MISMATCH', message: expect.stringMatching(/model anime4k-s → anime4k-m/) })
    const older = { ...job, settings: { ...job.settings, coreVersion: '0.0.1' } }
    await expect(openSegmentUpscaler(older, segmented)).rejects.toMatchObject({ code: 'E_JOB_MISMATCH', message: expect.stringMatching(/version of @anime-upscaler\/core 0\.0\.1 →/) })
    await expect(joinSegmentedJob(older, job.segments.map(() => 'x'), segmented)).rejects.toMatchObject({ code: 'E_JOB_MISMATCH' })
  })
})

test('bad segment options are refused with the option named', async () => {
  const input = stillClip()
  const output = join(tempDir(), 'bad.mkv')
  await expect(upscaleVideoToFile(input, output, { ...options, segments: { seconds: -3 } })).rejects.toThrow('Expected positive number for segments.seconds but received -3')
  await expect(upscaleVideoToFile(input, output, { ...options, resume: true })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'resume' })
  await expect(upscaleVideoToFile(input, output, { ...segmented, keepPartial: true })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'keepPartial' })
  expect(existsSync(output)).toBe(false)
})
