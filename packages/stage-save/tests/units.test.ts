import { renderMessage } from '@anime-upscaler/common'
import { parseStreamList, planSourceStreams } from '../src/containers'
import { resolveColor } from '../src/args'
import { resolveFfmpegPath } from '../src'
import { ReorderBuffer, ResultCache, Timeline } from '../src/frame-order'
import { ImageSplitter } from '../src/image-splitter'
import { frameHeader, streamHeader } from '../src/matroska'
import type { FrameToSave, SaveImage } from '../src/types'

const img = (v: number): SaveImage => ({ data: new Uint8Array(12).fill(v), width: 2, height: 2, channels: 3 })

describe('ReorderBuffer', () => {
  test('releases frames in index order', () => {
    const r = new ReorderBuffer(0, 8)
    for (const i of [2, 0, 3, 1]) r.add({ index: i })
    expect([r.take()?.index, r.take()?.index, r.take()?.index, r.take()?.index, r.take()]).toEqual([0, 1, 2, 3, undefined])
  })

  test('is bounded, and says what to do', () => {
    const r = new ReorderBuffer(0, 2)
    r.add({ index: 1 })
    r.add({ index: 2 })
    expect(() => r.add({ index: 3 })).toThrow(
      'Reorder buffer full: 2 frames are waiting for frame 0 (reorderCapacity 2) and frame 3 came: raise reorderCapacity, or bound how many frames upstream sends ahead of the written credits',
    )
  })

  test('rejects repeated, late and malformed indices; reports gaps', () => {
    const r = new ReorderBuffer(0, 8)
    r.add({ index: 0 })
    expect(() => r.add({ index: 0 })).toThrow('Frame 0 arrived twice')
    r.take()
    expect(() => r.add({ index: 0 })).toThrow('Frame 0 arrived after frame 0 was written: each index must come once')
    expect(() => r.add({ index: 1.5 })).toThrow('Expected non-negative integer for frame index but received 1.5')
    r.add({ index: 3 })
    expect(r.gapMessage()).toBe('The input completed but frame 1 never came (1 later frame waiting: 3)')
  })
})

describe('ResultCache', () => {
  test('duplicates resolve to the kept image, also through a chain', () => {
    const c = new ResultCache(2)
    const a = img(1)
    expect(c.resolve({ index: 0, image: a }, 0)).toBe(a)
    expect(c.resolve({ index: 1, duplicateOf: 0 }, 0)).toBe(a)
    expect(c.resolve({ index: 2, duplicateOf: 1 }, 0)).toBe(a)
  })

  test('a duplicate may repeat any of the `capacity` most recent kept frames (A-B-A), at its own place', () => {
    const c = new ResultCache(3)
    const [a, b, d] = [img(1), img(2), img(3)]
    c.resolve({ index: 0, image: a }, 0)
    c.resolve({ index: 1, image: b }, 0)
    expect(c.resolve({ index: 2, duplicateOf: 0 }, 0)).toBe(a)
    c.resolve({ index: 3, image: d }, 0)
    expect(c.resolve({ index: 4, duplicateOf: 1 }, 0)).toBe(b)
    expect(c.resolve({ index: 5, duplicateOf: 0 }, 0)).toBe(a)
    expect(c.resolve({ index: 6, duplicateOf: 2 }, 0)).toBe(a)
    c.resolve({ index: 7, image: img(4) }, 0)
    expect(() => c.resolve({ index: 8, duplicateOf: 0 }, 0)).toThrow('raise duplicateCacheSize to at least 4')
  })

  test('evicted and never-seen frames are clear errors', () => {
    const c = new ResultCache(1)
    c.resolve({ index: 5, image: img(1) }, 5)
    c.resolve({ index: 6, image: img(2) }, 5)
    expect(() => c.resolve({ index: 7, duplicateOf: 5 }, 5)).toThrow(
      "Frame 7 repeats frame 5, which is no longer in the duplicate cache (it keeps the 1 most recent kept frames; frame 5 is 2 kept frames back): raise duplicateCacheSize to at least 2, as many as the kept frames the detector compares with (stage-detect's references)",
    )
    expect(() => c.resolve({ index: 7, duplicateOf: 9 }, 5)).toThrow('Frame 7 repeats frame 9, which never came before it: duplicateOf must name an earlier frame')
    expect(() => c.resolve({ index: 7, duplicateOf: 2 }, 5)).toThrow('Frame 7 repeats frame 2, which never came (the first frame is 5)')
    expect(() => c.resolve({ index: 7 }, 5)).toThrow('Frame 7 has neither an image nor duplicateOf')
  })
})

describe('Timeline', () => {
  test('constant rate: exact grid in microseconds; frames without pts take the next tick', () => {
    const t = new Timeline({ num: 24000, den: 1001 })
    const f = (index: number, pts?: number): FrameToSave => ({ index, ...(pts !== undefined ? { pts } : {}) })
    expect(t.next(f(0))).toBe(0)
    expect(t.next(f(1, 0.0417))).toBe(41708) // snapped to 1001/24000 s
    expect(t.next(f(2))).toBe(83417)
    expect(t.frameDurationNs).toBe(41708333)
    expect(() => t.next(f(3, 0.08))).toThrow('Frame 3 at 0.08 s falls on the same 24000/1001 tick as the frame before')
  })

  test('constant rate: the grid starts at the first frame, so a source that starts at 21 ms keeps its times', () => {
    const t = new Timeline({ num: 24, den: 1 })
    // Matroska rounds to ms: 21, 63, 104 ms are ticks 0, 1, 2 of a 24 fps grid that starts at 21 ms.
    expect([0.021, 0.063, 0.104, 0.146].map((pts, index) => t.next({ index, pts }))).toEqual([21000, 62667, 104333, 146000])
    expect(t.timing).toEqual({ rate: { num: 24, den: 1 }, frameDurationNs: 41666667, onGrid: false })
    const onGrid = new Timeline({ num: 24000, den: 1001 })
    onGrid.next({ index: 0, pts: 0 })
    expect(onGrid.timing.onGrid).toBe(true)
    expect(new Timeline().timing).toEqual({ onGrid: false })
  })

  test('variable rate: each frame keeps its pts, which must increase', () => {
    const t = new Timeline()
    expect(t.next({ index: 0, pts: 0 })).toBe(0)
    expect(t.next({ index: 1, pts: 0.1234567 })).toBe(123457)
    expect(() => t.next({ index: 2, pts: 0.1 })).toThrow("Frame 2's pts 0.1 s is not after the previous frame's 0.1234567 s")
    expect(() => t.next({ index: 2 })).toThrow('Frame 2 has no pts: give every frame its pts, or set frameRate for a constant-rate output')
    expect(() => t.next({ index: 2, pts: -1 })).toThrow('Expected non-negative number of seconds for pts of frame 2 but received -1')
  })
})

describe('Matroska writer', () => {
  test('header declares V_UNCOMPRESSED with the RGB FourCC; clusters carry µs timecodes', () => {
    const h = streamHeader({ width: 640, height: 360, pixelFormat: 'rgb48le', defaultDurationNs: 41708333 })
    expect(h.subarray(0, 4)).toEqual(Buffer.from([0x1a, 0x45, 0xdf, 0xa3]))
    expect(h.includes(Buffer.from('V_UNCOMPRESSED'))).toBe(true)
    expect(h.includes(Buffer.from([0x2e, 0xb5, 0x24, 0x01, 0, 0, 0, 0, 0, 0, 0x04, 0x52, 0x47, 0x42, 48]))).toBe(true)
    const c = frameHeader(1_000_000, 100)
    expect(c.subarray(0, 4)).toEqual(Buffer.from([0x1f, 0x43, 0xb6, 0x75]))
    // Cluster size covers the rest of the header plus the pixels.
    expect(Number(c.readBigUInt64BE(4) & 0x00ffffffffffffffn)).toBe(c.length - 12 + 100)
    expect(c.subarray(-4)).toEqual(Buffer.from([0x81, 0, 0, 0x80]))
  })
})

describe('ImageSplitter', () => {
  function png(n: number): Buffer {
    const chunk = (type: string, data: Buffer) => {
      const len = Buffer.alloc(4)
      len.writeUInt32BE(data.length)
      return Buffer.concat([len, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)])
    }
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', Buffer.alloc(13, n)),
      chunk('IDAT', Buffer.alloc(100 + n, n)),
      chunk('IEND', Buffer.alloc(0)),
    ])
  }

  test('splits concatenated PNGs however the bytes are chunked', () => {
    const files = [png(1), png(2), png(3)]
    const all = Buffer.concat(files)
    for (const step of [1, 7, 64, all.length]) {
      const got: Buffer[] = []
      const s = new ImageSplitter('png', (f) => got.push(f))
      for (let i = 0; i < all.length; i += step) s.push(all.subarray(i, i + step))
      expect(got).toEqual(files)
      expect(s.pending).toBe(0)
    }
  })

  test('splits WebP files by their RIFF size', () => {
    const webp = (n: number) => {
      const body = Buffer.concat([Buffer.from('WEBP'), Buffer.alloc(n, 7)])
      const head = Buffer.alloc(8)
      head.write('RIFF', 0, 'latin1')
      head.writeUInt32LE(body.length, 4)
      return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)])
    }
    const files = [webp(10), webp(11)]
    const got: Buffer[] = []
    const s = new ImageSplitter('webp', (f) => got.push(f))
    const all = Buffer.concat(files)
    for (let i = 0; i < all.length; i += 5) s.push(all.subarray(i, i + 5))
    expect(got).toEqual(files)
  })
})

describe('source streams and containers', () => {
  const listing = [
    "Input #0, matroska,webm, from 'in.mkv':",
    '  Duration: 00:00:02.00, start: 0.000000, bitrate: 100 kb/s',
    '    Chapter #0:0: start 0.000000, end 1.000000',
    '    Chapter #0:1: start 1.000000, end 2.000000',
    '    Stream #0:0(eng): Video: h264 (High), yuv420p(progressive), 64x32, 24 fps (default)',
    '    Stream #0:1(jpn): Audio: opus, 48000 Hz, stereo, fltp (default)',
    '    Stream #0:2: Subtitle: ass',
    '    Stream #0:3: Attachment: ttf',
    'At least one output file must be specified',
  ].join('\n')

  test('parses the stream list of ffmpeg -i', () => {
    expect(parseStreamList(listing)).toEqual({
      hasInput: true,
      chapters: 2,
      streams: [
        { index: 0, type: 'video', codec: 'h264', language: 'eng' },
        { index: 1, type: 'audio', codec: 'opus', language: 'jpn' },
        { index: 2, type: 'subtitle', codec: 'ass' },
        { index: 3, type: 'attachment', codec: 'ttf' },
      ],
    })
  })

  test('Matroska holds everything; MP4 refuses opus, ASS and fonts and says what to do', () => {
    const { streams } = parseStreamList(listing)
    const copy = { audioCodec: 'copy', subtitleCodec: 'copy', attachments: 'copy' as const }
    expect(planSourceStreams('matroska', streams, copy).problems).toEqual([])
    const { problems } = planSourceStreams('mp4', streams, copy)
    expect(problems.map((problem) => renderMessage(problem.parts))).toEqual([
      "MP4 (.mp4) cannot hold the source's opus audio (stream #1) (this ffmpeg, from 2018, writes it only as an experimental feature): choose an .mkv output, or use audioCodec: 'aac' to transcode it, or audioCodec: 'none' to drop it",
      "MP4 (.mp4) cannot hold the source's ass subtitles (stream #2): choose an .mkv output, or use subtitleCodec: 'mov_text' to convert them (text subtitles only; styling is lost), or subtitleCodec: 'none' to drop it",
      "MP4 (.mp4) cannot hold the source's attachment (stream #3, ttf, e.g. a font): choose an .mkv output, or use attachments: 'none' to drop it",
    ])
    expect(planSourceStreams('mp4', streams, { audioCodec: 'aac', subtitleCodec: 'mov_text', attachments: 'none' }).problems).toEqual([])
    expect(planSourceStreams('webm', streams, { audioCodec: 'copy', subtitleCodec: 'none', attachments: 'none' }).problems).toEqual([])
    const [matroska] = planSourceStreams('matroska', [{ index: 1, type: 'subtitle', codec: 'mov_text' }], copy).problems
    expect(renderMessage(matroska.parts)).toContain("subtitleCodec: 'srt'")
    expect(matroska).toMatchObject({ option: 'subtitleCodec', value: 'copy' })
    // The command line words the same problem with its flags.
    const flags = { name: (option: string) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, setting: (option: string, value: unknown) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${String(value)}` }
    expect(renderMessage(problems[2].parts, flags)).toBe("MP4 (.mp4) cannot hold the source's attachment (stream #3, ttf, e.g. a font): choose an .mkv --output, or use --attachments none to drop it")
  })
})

describe('colour', () => {
  test('auto picks bt709 for HD and smpte170m (BT.601) below; tags follow the matrix unless given', () => {
    expect(resolveColor({ colorspace: 'auto', range: 'tv' }, 1280, 720)).toEqual({
      scaleMatrix: 'bt709', colorspace: 'bt709', primaries: 'bt709', transfer: 'bt709', range: 'tv',
    })
    expect(resolveColor({ colorspace: 'auto', range: 'tv' }, 640, 360).colorspace).toBe('smpte170m')
    expect(resolveColor({ colorspace: 'bt601', range: 'pc' }, 1920, 1080)).toMatchObject({ scaleMatrix: 'smpte170m', colorspace: 'smpte170m', range: 'pc' })
    expect(resolveColor({ colorspace: 'bt709', primaries: 'bt470bg', range: 'tv' }, 640, 480)).toMatchObject({ colorspace: 'bt709', primaries: 'bt470bg', transfer: 'bt709' })
    expect(resolveColor({ colorspace: 'bt2020', range: 'tv' }, 3840, 2160)).toMatchObject({ scaleMatrix: 'bt2020', colorspace: 'bt2020nc', transfer: 'bt2020-10' })
  })
})

describe('finding ffmpeg (the lookup itself is tested in @anime-upscaler/common)', () => {
  test('an explicit path or FFMPEG_PATH that leads nowhere is an E_FFMPEG_NOT_FOUND naming it; by default an ffmpeg is found', () => {
    const saved = process.env.FFMPEG_PATH
    try {
      expect(() => resolveFfmpegPath('/usr/local/bin/no-ffmpeg')).toThrow(expect.objectContaining({ code: 'E_FFMPEG_NOT_FOUND', option: 'ffmpegPath' }))
      process.env.FFMPEG_PATH = '/opt/ffmpeg/bin/ffmpeg'
      expect(() => resolveFfmpegPath()).toThrow("ffmpeg not found at '/opt/ffmpeg/bin/ffmpeg' (from FFMPEG_PATH)")
      delete process.env.FFMPEG_PATH
      expect(resolveFfmpegPath()).toMatch(/ffmpeg$/)
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH
      else process.env.FFMPEG_PATH = saved
    }
  })
})
