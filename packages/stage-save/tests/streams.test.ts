import * as path from 'node:path'
import { writeFileSync, existsSync } from 'node:fs'
import { from } from 'rxjs'
import { saveFrames, SaveError } from '../src'
import type { SaveEvent } from '../src'
import {
  FIXTURES, HAVE_FIXTURES, collect, decodeFrames, ffmpeg, framePts, framesOf, lavfi, partials, probe, rawFrames, tempDir, withCredits, writeSrt,
} from './helpers'

let t: ReturnType<typeof tempDir>
let source: string
let images: Uint8Array[]

/** 2 s source: 24 fps video, AAC audio (jpn), SRT subtitles, a font attachment, two chapters, a title. */
beforeAll(async () => {
  t = tempDir()
  const srt = path.join(t.dir, 'subs.srt')
  writeSrt(srt)
  const meta = path.join(t.dir, 'meta.txt')
  writeFileSync(
    meta,
    ';FFMETADATA1\ntitle=Stage Save Test\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n',
  )
  const font = path.join(t.dir, 'font.ttf')
  writeFileSync(font, Buffer.alloc(64, 1))
  source = path.join(t.dir, 'source with spaces ✓.mkv')
  await ffmpeg([
    ...lavfi('testsrc2=s=96x64:r=24:d=2'), ...lavfi('sine=f=440:d=2'), '-i', srt, '-i', meta,
    '-map', '0:v', '-map', '1:a', '-map', '2:s', '-map_metadata', '3', '-map_chapters', '3',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt', '-metadata:s:a:0', 'language=jpn', '-metadata:s:v:0', 'language=jpn',
    '-attach', font, '-metadata:s:t', 'mimetype=application/x-truetype-font', '-y', source,
  ])
  images = (await rawFrames(['-i', source], 96, 64, 1000)) as Uint8Array[]
})
afterAll(() => t.remove())

const frames = () => framesOf(images, 96, 64, (i) => i / 24)

describe('the source streams are carried over', () => {
  test('Matroska keeps audio, subtitles, the attachment, chapters and metadata', async () => {
    const output = path.join(t.dir, 'kept ünïcødé.mkv')
    const events = await collect(from(frames()).pipe(saveFrames({ output, source, frameRate: 24, preset: 'ultrafast' })))
    const started = events.find((e) => e.type === 'started') as Extract<SaveEvent, { type: 'started' }>
    expect(started.command.join(' ')).toContain('-max_interleave_delta 0')
    const info = await probe(output, 'stream=codec_type,codec_name:stream_tags=language,mimetype:format_tags=title:chapter=start_time:chapter_tags=title', [
      '-show_chapters',
    ])
    expect(info.streams.map((s: any) => [s.codec_type, s.codec_name])).toEqual([
      ['video', 'h264'],
      ['audio', 'aac'],
      ['subtitle', 'subrip'],
      ['attachment', 'ttf'],
    ])
    expect(info.streams[0].tags.language).toBe('jpn')
    expect(info.streams[1].tags.language).toBe('jpn')
    expect(info.streams[3].tags.mimetype).toBe('application/x-truetype-font')
    expect(info.format.tags.title).toBe('Stage Save Test')
    expect(info.chapters.map((c: any) => c.tags.title)).toEqual(['One', 'Two'])
    // Copied as they are (the AAC priming in the source moved everything by 23 ms: so be it).
    const subs = (await ffmpeg(['-i', output, '-map', '0:s:0', '-f', 'srt', 'pipe:1'])).toString()
    expect(subs).toContain('World')
    expect(subs).toBe((await ffmpeg(['-i', source, '-map', '0:s:0', '-f', 'srt', 'pipe:1'])).toString())
    expect((await framePts(output)).length).toBe(48)
  })

  test('MP4 cannot hold SRT subtitles or fonts: refused before encoding, saying what to do', async () => {
    const output = path.join(t.dir, 'refused.mp4')
    const events: SaveEvent[] = []
    const error = await new Promise<SaveError>((resolve) =>
      from(frames()).pipe(saveFrames({ output, source, frameRate: 24 })).subscribe({ next: (e) => events.push(e), error: resolve }),
    )
    expect(error.code).toBe('E_INCOMPATIBLE_CONTAINER')
    expect(error.message).toContain(
      "MP4 (.mp4) cannot hold the source's subrip subtitles (stream #2): choose an .mkv output, or use subtitleCodec: 'mov_text' to convert them (text subtitles only; styling is lost), or subtitleCodec: 'none' to drop it",
    )
    expect(error.message).toContain("cannot hold the source's attachment (stream #3, ttf, e.g. a font): choose an .mkv output, or use attachments: 'none' to drop it")
    expect(events).toEqual([])
    expect(existsSync(output)).toBe(false)
    expect(partials(t.dir)).toEqual([])
  })

  test('MP4 with the subtitles converted to mov_text and the font dropped', async () => {
    const output = path.join(t.dir, 'converted.mp4')
    await collect(from(frames()).pipe(saveFrames({ output, source, frameRate: 24, subtitleCodec: 'mov_text', attachments: 'none', preset: 'ultrafast' })))
    const info = await probe(output, 'stream=codec_type,codec_name:format_tags=title:chapter=start_time', ['-show_chapters'])
    // MP4 stores chapters as a QuickTime text track, which ffprobe lists as bin_data.
    expect(info.streams.map((s: any) => s.codec_name)).toEqual(['h264', 'aac', 'mov_text', 'bin_data'])
    expect(info.format.tags.title).toBe('Stage Save Test')
    expect(info.chapters).toHaveLength(2)
  })

  test('opus into MP4 is refused with the 2018 ffmpeg; transcoding to AAC works', async () => {
    const opusSource = path.join(t.dir, 'opus.mkv')
    await ffmpeg([...lavfi('testsrc2=s=96x64:r=24:d=1'), ...lavfi('sine=d=1'), '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'libopus', '-y', opusSource])
    const few = frames().slice(0, 24)
    const output = path.join(t.dir, 'opus.mp4')
    await expect(collect(from(few).pipe(saveFrames({ output, source: opusSource, frameRate: 24 })))).rejects.toThrow(
      "MP4 (.mp4) cannot hold the source's opus audio (stream #1) (this ffmpeg, from 2018, writes it only as an experimental feature): choose an .mkv output, or use audioCodec: 'aac' to transcode it, or audioCodec: 'none' to drop it",
    )
    await collect(from(few).pipe(saveFrames({ output, source: opusSource, frameRate: 24, audioCodec: 'aac', preset: 'ultrafast' })))
    const info = await probe(output, 'stream=codec_name')
    expect(info.streams.map((s: any) => s.codec_name)).toEqual(['h264', 'aac'])
  })

  test('an audio-only source lends its audio', async () => {
    const audioOnly = path.join(t.dir, 'audio.m4a')
    await ffmpeg([...lavfi('sine=d=1'), '-c:a', 'aac', '-y', audioOnly])
    const output = path.join(t.dir, 'with-audio.mkv')
    await collect(from(frames().slice(0, 24)).pipe(saveFrames({ output, source: audioOnly, frameRate: 24, preset: 'ultrafast' })))
    const info = await probe(output, 'stream=codec_type')
    expect(info.streams.map((s: any) => s.codec_type)).toEqual(['video', 'audio'])
  })

  test('a source that is not media, or missing, is a clear error before anything is encoded', async () => {
    const junk = path.join(t.dir, 'junk.mkv')
    writeFileSync(junk, 'this is not a video file at all\n'.repeat(100))
    const output = path.join(t.dir, 'never.mkv')
    const bad = await collect(from(frames().slice(0, 2)).pipe(saveFrames({ output, source: junk, frameRate: 24 }))).catch((e: SaveError) => e)
    expect((bad as SaveError).code).toBe('E_SOURCE')
    expect((bad as SaveError).message).toMatch(/^Cannot read the source '.*junk\.mkv' as media: .*Invalid data found when processing input/)
    const missing = await collect(from(frames().slice(0, 2)).pipe(saveFrames({ output, source: path.join(t.dir, 'nope.mkv'), frameRate: 24 }))).catch(
      (e: SaveError) => e,
    )
    expect((missing as SaveError).code).toBe('E_SOURCE')
    expect((missing as SaveError).message).toContain('No such file or directory')
    expect(existsSync(output)).toBe(false)
    expect(partials(t.dir)).toEqual([])
  })
})

const withFixtures = HAVE_FIXTURES ? describe : describe.skip
withFixtures(`fixture clips (skipped when ${FIXTURES} is missing)`, () => {
  test('hero_360p.webm (VP9 + Opus, 24000/1001, 360 frames) into Matroska: every frame, exact rate, opus kept', async () => {
    const hero = path.join(FIXTURES, 'video/hero_360p.webm')
    const output = path.join(t.dir, 'hero.mkv')
    async function* heroFrames() {
      let index = 0
      for await (const data of decodeFrames(hero, 640, 360)) {
        yield { index, pts: (index * 1001) / 24000, image: { data, width: 640, height: 360, channels: 3 as const } }
        index++
      }
    }
    const events = await collect(withCredits(heroFrames(), saveFrames({ output, source: hero, frameRate: '24000/1001', preset: 'ultrafast' }), 8))
    expect(events.at(-1)).toMatchObject({ type: 'finished', frames: 360 })
    const info = await probe(output, 'stream=codec_name,r_frame_rate,avg_frame_rate,nb_read_frames:format=duration', ['-count_frames'])
    expect(info.streams[0]).toMatchObject({ codec_name: 'h264', r_frame_rate: '24000/1001', avg_frame_rate: '24000/1001', nb_read_frames: '360' })
    expect(info.streams[1].codec_name).toBe('opus')
    const src = await probe(hero, 'format=duration')
    expect(Math.abs(Number(info.format.duration) - Number(src.format.duration))).toBeLessThan(1001 / 24000)
  })

  test('short_360p.mp4 (H.264 + AAC, 24 fps, 72 frames) into MP4: exact 24/1, AAC kept', async () => {
    const short = path.join(FIXTURES, 'video/short_360p.mp4')
    const output = path.join(t.dir, 'short.mp4')
    const decoded: Uint8Array[] = []
    for await (const data of decodeFrames(short, 640, 360)) decoded.push(data)
    const all = framesOf(decoded, 640, 360, (i) => i / 24)
    await collect(withCredits(all, saveFrames({ output, source: short, frameRate: 24, preset: 'ultrafast' }), 8))
    const info = await probe(output, 'stream=codec_name,r_frame_rate,avg_frame_rate,nb_read_frames,duration', ['-count_frames'])
    expect(info.streams[0]).toMatchObject({ r_frame_rate: '24/1', avg_frame_rate: '24/1', nb_read_frames: '72' })
    expect(Math.abs(Number(info.streams[0].duration) - 3)).toBeLessThan(1 / 24)
    expect(info.streams[1].codec_name).toBe('aac')
  })
})
