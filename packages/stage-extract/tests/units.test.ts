import { ExtractError, resolveFfmpeg, resolveFfprobe } from '../src'
import { parseLogLine } from '../src/log'
import { bitDepthOf, guessMatrix, isYuv, parseRational, quarterTurn, rationalFromNumber, swsMatrixOf } from '../src/media'
import { analyseTimestamps } from '../src/probe'

describe('rationals and pixel formats', () => {
  test('parseRational reads ffprobe rates and aspect ratios, rejects 0/0 and N/A', () => {
    expect(parseRational('24000/1001')).toEqual({ num: 24000, den: 1001 })
    expect(parseRational('48/2')).toEqual({ num: 24, den: 1 })
    expect(parseRational('4:3')).toEqual({ num: 4, den: 3 })
    expect(parseRational('0/0')).toBeUndefined()
    expect(parseRational('N/A')).toBeUndefined()
    expect(parseRational('0:1')).toBeUndefined()
    expect(rationalFromNumber(23.976023976023978)).toEqual({ num: 24000, den: 1001 })
    expect(rationalFromNumber(12.5)).toEqual({ num: 25, den: 2 })
  })

  test('bitDepthOf covers 8-bit, high-bit-depth YUV, semi-planar, RGB and grey formats', () => {
    const cases: Record<string, number> = {
      yuv420p: 8, yuvj420p: 8, nv12: 8, rgb24: 8, bgra: 8, pal8: 8, gray: 8, gbrp: 8, yuyv422: 8, ya8: 8,
      yuv420p10le: 10, yuv422p10be: 10, yuv444p12le: 12, yuva444p16le: 16, gbrp10le: 10, gbrap12le: 12,
      gray10le: 10, gray16be: 16, p010le: 10, p016le: 16, nv20le: 10, rgb48le: 16, rgba64be: 16, y210le: 10, xyz12le: 12,
    }
    for (const [format, bits] of Object.entries(cases)) expect([format, bitDepthOf(format)]).toEqual([format, bits])
  })

  test('YUV formats get a matrix; RGB, palette and grey do not', () => {
    for (const format of ['yuv420p', 'yuvj420p', 'yuv420p10le', 'nv12', 'p010le', 'yuyv422']) expect(isYuv(format)).toBe(true)
    for (const format of ['rgb24', 'bgra', 'pal8', 'gray', 'gbrp10le', 'rgb48le']) expect(isYuv(format)).toBe(false)
  })

  test('matrix names map to the scale filter, untagged video is guessed by size like players do', () => {
    expect(swsMatrixOf('bt709')).toBe('bt709')
    expect(swsMatrixOf('smpte170m')).toBe('bt601')
    expect(swsMatrixOf('bt470bg')).toBe('bt601')
    expect(swsMatrixOf('bt2020nc')).toBe('bt2020')
    expect(swsMatrixOf(undefined)).toBeUndefined()
    expect(guessMatrix(640, 360)).toBe('bt601')
    expect(guessMatrix(720, 576)).toBe('bt601')
    expect(guessMatrix(1280, 720)).toBe('bt709')
    expect(guessMatrix(1920, 1080)).toBe('bt709')
  })

  test('quarterTurn normalises rotations', () => {
    expect([quarterTurn(-90), quarterTurn(90), quarterTurn(-180), quarterTurn(270), quarterTurn(360), quarterTurn(89.6)]).toEqual([270, 90, 180, 270, 0, 90])
  })
})

describe('frame spacing (VFR detection)', () => {
  test('23.976 fps in a 1 ms time base alternates 41/42 ms and is constant', () => {
    const ticks = Array.from({ length: 200 }, (_, i) => Math.round((i * 1001) / 24))
    expect(analyseTimestamps(ticks).variable).toBe(false)
  })

  test('B-frame decode order does not matter', () => {
    const ticks = [0, 1536, 512, 1024, 3072, 2048, 2560]
    expect(analyseTimestamps(ticks)).toEqual({ variable: false, gapTicks: 512 })
  })

  test('a rate change, a missing frame, or a duplicated timestamp is variable', () => {
    const change = [...Array.from({ length: 10 }, (_, i) => i * 42), ...Array.from({ length: 10 }, (_, i) => 420 + i * 33)]
    expect(analyseTimestamps(change).variable).toBe(true)
    expect(analyseTimestamps([0, 40, 80, 160, 200, 240]).variable).toBe(true)
    expect(analyseTimestamps([0, 40, 40, 80, 120]).variable).toBe(true)
  })
})

describe('ffmpeg log parsing', () => {
  test('showinfo lines give time base and pts; other lines keep their level', () => {
    expect(parseLogLine('[Parsed_showinfo_0 @ 0x37bfd600] [info] config in time_base: 1/1000, frame_rate: 24000/1001')).toEqual({ kind: 'timebase', timeBase: { num: 1, den: 1000 } })
    expect(parseLogLine('[Parsed_showinfo_0 @ 0x37bfd600] [info] n:  12 pts:    500 pts_time:0.5 pos: 9016 fmt:yuv420p')).toEqual({ kind: 'frame', n: 12, pts: 500 })
    expect(parseLogLine('[Parsed_showinfo_0 @ 0x1] n:   0 pts:  -1024 pts_time:-0.1')).toEqual({ kind: 'frame', n: 0, pts: -1024 })
    expect(parseLogLine('[Parsed_showinfo_0 @ 0x1] [info] n:   3 pts:NOPTS pts_time:NOPTS')).toEqual({ kind: 'frame', n: 3, pts: undefined })
    expect(parseLogLine('[Parsed_showinfo_0 @ 0x1] [info] color_range:tv color_space:unknown')).toEqual({ kind: 'showinfo' })
    expect(parseLogLine('[h264 @ 0x10ed9740] [error] Invalid NAL unit size (1949 > 1292).')).toEqual({ kind: 'message', level: 'error', text: '[h264 @ 0x10ed9740] Invalid NAL unit size (1949 > 1292).' })
    expect(parseLogLine('[error] Conversion failed!')).toEqual({ kind: 'message', level: 'error', text: 'Conversion failed!' })
  })
})

describe('locating ffmpeg and ffprobe (the lookup itself is tested in @anime-upscaler/common)', () => {
  const saved = process.env.FFPROBE_PATH
  afterEach(() => {
    if (saved === undefined) delete process.env.FFPROBE_PATH
    else process.env.FFPROBE_PATH = saved
  })

  test('finds both binaries, and a wrong path fails with an ExtractError naming the option or variable', () => {
    expect(resolveFfmpeg()).toMatch(/ffmpeg$/)
    expect(resolveFfprobe()).toMatch(/ffprobe$/)
    expect(() => resolveFfmpeg('/nonexistent/ffmpeg')).toThrow(ExtractError)
    expect(() => resolveFfmpeg('/nonexistent/ffmpeg')).toThrow("ffmpeg not found at '/nonexistent/ffmpeg' (given as ffmpegPath)")
    process.env.FFPROBE_PATH = '/nonexistent/ffprobe'
    expect(() => resolveFfprobe()).toThrow("ffprobe not found at '/nonexistent/ffprobe' (from FFPROBE_PATH)")
  })
})
