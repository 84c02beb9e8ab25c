// Segments of a video encoded one by one and joined must give the file one encode of the whole video
// gives: the same frames at the same times, with the source's streams muxed once.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import * as path from 'node:path'
import { from, lastValueFrom } from 'rxjs'
import { joinSegments, planSave, saveFrames, segmentPlan, type SaveOptions } from '../src'
import { collect, ffmpeg, framePts, framesOf, lavfi, partials, probe, rawFrames, tempDir } from './helpers'

const t = tempDir('stage-save-segments-')
afterAll(t.remove)

const FRAMES = 60
const CUTS = [0, 17, 40, FRAMES]

interface Source {
  file: string
  pts: number[]
  images: Uint8Array[]
}

async function source(name: string, videoFilter: string, rate: string): Promise<Source> {
  const file = path.join(t.dir, name)
  await ffmpeg([...lavfi(`testsrc2=s=64x48:r=${rate}`), ...lavfi('sine=f=440:d=4'), '-vf', videoFilter, '-frames:v', String(FRAMES), '-vsync', 'passthrough', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', '-y', file])
  const pts = await framePts(file)
  const images = (await rawFrames(['-i', file], 64, 48, FRAMES)) as Uint8Array[]
  return { file, pts, images }
}

/** The whole video in one encode, and in segments joined; returns both outputs' frame times. */
async function wholeAndJoined(src: Source, ext: string, options: Partial<SaveOptions>): Promise<{ whole: number[]; joined: number[]; output: string; wholeFile: string }> {
  const base = { source: src.file, preset: 'ultrafast' as const, ...options }
  const name = `${path.parse(src.file).name}-${ext}`
  const wholeFile = path.join(t.dir, `whole-${name}.${ext}`)
  await collect(from(framesOf(src.images, 64, 48, (i) => src.pts[i])).pipe(saveFrames({ ...base, output: wholeFile })))
  const output = path.join(t.dir, `joined-${name}.${ext}`)
  const plan = await planSave({ ...base, output })
  const folder = `${output}.segments`
  mkdirSync(folder)
  const segments: string[] = []
  for (let s = 0; s + 1 < CUTS.length; s++) {
    const file = path.join(folder, `${s}.seg`)
    const frames = framesOf(src.images.slice(CUTS[s], CUTS[s + 1]), 64, 48, (i) => src.pts[CUTS[s] + i])
    await lastValueFrom(from(frames).pipe(saveFrames(segmentPlan(plan, { output: file, gridStart: src.pts[0] }))))
    segments.push(file)
  }
  await joinSegments({ plan, segments })
  expect(partials(folder)).toEqual([])
  return { whole: await framePts(wholeFile), joined: await framePts(output), output, wholeFile }
}

describe('segments joined equal one encode of the whole video', () => {
  let ntsc: Source
  let late: Source
  let vfr: Source
  beforeAll(async () => {
    ntsc = await source('ntsc.mp4', 'null', '24000/1001')
    // Matroska with AAC: the video starts 21-23 ms in, off the 24000/1001 grid's ticks from 0.
    late = await source('late.mkv', 'null', '24000/1001')
    vfr = await source('vfr.mkv', "setpts='if(lt(N,20),N/24,if(lt(N,40),20/24+(N-20)/60,20/24+20/60+(N-40)/12))/TB'", '120')
  }, 60_000)

  test.each([
    ['24000/1001 from 0 into MP4 (one pass, B-frames, exact ticks)', 'ntsc', 'mp4', { frameRate: '24000/1001' }],
    ['24000/1001 from 0 into Matroska', 'ntsc', 'mkv', { frameRate: '24000/1001' }],
    ['24000/1001 starting off the grid into MP4 (Matroska first, no B-frames)', 'late', 'mp4', { frameRate: '24000/1001' }],
    ['24000/1001 starting off the grid into Matroska', 'late', 'mkv', { frameRate: '24000/1001' }],
    ['variable rate into Matroska', 'vfr', 'mkv', {}],
    ['variable rate into MP4', 'vfr', 'mp4', {}],
  ])('%s', async (_name, which, ext, options) => {
    const src = { ntsc, late, vfr }[which as 'ntsc']
    const { whole, joined, output, wholeFile } = await wholeAndJoined(src, ext as string, options as Partial<SaveOptions>)
    expect(whole).toHaveLength(FRAMES)
    expect(joined).toEqual(whole)
    // The audio is the source's, muxed once, at the same place against the video.
    const streams = async (file: string) => (await probe(file, 'stream=codec_type,codec_name,start_time,r_frame_rate')).streams
    expect(await streams(output)).toEqual(await streams(wholeFile))
    expect((await streams(output)).map((s: { codec_type: string }) => s.codec_type)).toEqual(['video', 'audio'])
  })

  test('no segments: refused, nothing written', async () => {
    const plan = await planSave({ output: path.join(t.dir, 'gone', 'x.mkv'), preset: 'ultrafast' })
    await expect(joinSegments({ plan, segments: [] })).rejects.toMatchObject({ code: 'E_NO_FRAMES' })
    expect(existsSync(path.join(t.dir, 'gone', 'x.mkv'))).toBe(false)
    expect(readdirSync(path.join(t.dir, 'gone'))).toEqual([])
  })
})
