import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { lastValueFrom } from 'rxjs'
import { probe, resolveFfmpeg } from '@anime-upscaler/stage-extract'
import { upscaleVideo } from '../src'
import { FIXTURES, assScript, frameTimes, useTempDir } from './helpers'

// MKV is how most anime arrives: H.264 with B-frames, timestamps rounded to milliseconds, a video
// that may start a little after zero, several audio codecs, ASS subtitles with their fonts, chapters.
const tempDir = useTempDir()
const ffmpeg = resolveFfmpeg()
const options = { model: 'anime4k-s', workers: 1, threads: 2, encoder: { preset: 'ultrafast' as const } }

const CHAPTERS = ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\nTITLE=Part A\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\nTITLE=Part B\n'

interface Source {
  name: string
  rate: string
  audio: 'aac' | 'flac' | 'libopus'
  bits: 8 | 10
  extras: boolean
  /** Where the video starts, as after a remux with AAC priming: off the frame grid unless 0. */
  start: number
}

/** An episode-like MKV: x264 with B-frames, the audio codec, and optionally ASS subtitles, a font and chapters. */
function makeMkv(source: Source): string {
  const dir = tempDir()
  const file = join(dir, `${source.name}.mkv`)
  const video = join(dir, `${source.name}-video.mkv`)
  const pixFmt = source.bits === 10 ? 'yuv420p10le' : 'yuv420p'
  execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${source.rate}:duration=2`, '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-pix_fmt', pixFmt, '-y', video])
  const args = ['-v', 'error', '-itsoffset', String(source.start), '-i', video, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2']
  if (source.extras) {
    writeFileSync(join(dir, 'subs.ass'), assScript(160, 90))
    writeFileSync(join(dir, 'chapters.txt'), CHAPTERS)
    writeFileSync(join(dir, 'TestSans.ttf'), Buffer.from('not really a font, but attached as one'))
    args.push('-i', join(dir, 'subs.ass'), '-i', join(dir, 'chapters.txt'), '-map', '0:v', '-map', '1:a', '-map', '2:s', '-map_chapters', '3')
    args.push('-attach', join(dir, 'TestSans.ttf'), '-metadata:s:t', 'mimetype=application/x-truetype-font')
  }
  args.push('-c:v', 'copy', '-c:a', source.audio)
  if (source.extras) args.push('-c:s', 'ass')
  execFileSync(ffmpeg, [...args, '-y', file])
  return file
}

async function expectSameFrames(input: string, output: string): Promise<void> {
  const [before, after] = [frameTimes(input), frameTimes(output)]
  expect(after).toHaveLength(before.length)
  // Both sides are stored in whole milliseconds: anything above 1 ms (plus float noise) is a real shift.
  const shifted = before.map((t, i) => ({ frame: i, source: t, output: after[i] })).filter(({ source, output }) => Math.abs(source - output) > 0.0010001)
  expect(shifted).toEqual([])
}

describe('Matroska sources: constant rate recognised, exact frame count, every frame within 1 ms of its source time', () => {
  test.each<Source>([
    { name: 'h264-24-aac-subs-fonts-chapters', rate: '24', audio: 'aac', bits: 8, extras: true, start: 0.021 },
    { name: 'h264-23.976-flac-10bit', rate: '24000/1001', audio: 'flac', bits: 10, extras: false, start: 0 },
    { name: 'h264-23.976-aac-10bit-late-start', rate: '24000/1001', audio: 'aac', bits: 10, extras: true, start: 0.021 },
    { name: 'h264-29.97-opus', rate: '30000/1001', audio: 'libopus', bits: 8, extras: false, start: 0.021 },
  ])('$name', async (source) => {
    const input = makeMkv(source)
    // Two seconds of video: 48 frames at 24 fps, 48 at 23.976, 60 at 29.97.
    expect(frameTimes(input)).toHaveLength(source.rate === '30000/1001' ? 60 : 48)
    const info = await probe(input)
    expect(info.video.variableFrameRate).toBe(false)
    const output = join(tempDir(), `${source.name}-2x.mkv`)
    const done = await lastValueFrom(upscaleVideo(input, output, options))
    expect(done).toMatchObject({ type: 'done', frames: frameTimes(input).length, partial: false })
    await expectSameFrames(input, output)

    const result = await probe(output)
    const kinds = (streams: typeof info.streams) => streams.map((s) => `${s.type}:${s.type === 'video' ? '' : s.codec}`).sort()
    expect(kinds(result.streams)).toEqual(kinds(info.streams).map((k) => (k.startsWith('video') ? 'video:' : k)))
    expect(result.chapters.map((c) => c.title)).toEqual(info.chapters.map((c) => c.title))
    if (source.extras) expect(result.streams.find((s) => s.type === 'attachment')).toMatchObject({ filename: 'TestSans.ttf', mimeType: 'application/x-truetype-font' })
    expect(readdirSync(tempDir()).filter((f) => f.includes('.partial'))).toEqual([])
  })

  const short = join(FIXTURES, 'video', 'short_360p.mp4')
  ;(existsSync(short) ? test : test.skip)(`the issue's own case: short_360p.mp4 remuxed to MKV with AAC 48 kHz (video starts at 21 ms)${existsSync(short) ? '' : ' — SKIPPED: ../shared/fixtures is missing'}`, async () => {
    const input = join(tempDir(), 'r.mkv')
    execFileSync(ffmpeg, ['-v', 'error', '-i', short, '-c:v', 'copy', '-c:a', 'aac', '-ar', '48000', '-y', input])
    expect(frameTimes(input)[0]).toBeGreaterThan(0.01)
    const output = join(tempDir(), 'r2.mkv')
    await lastValueFrom(upscaleVideo(input, output, options))
    await expectSameFrames(input, output)
  })
})
