import { CoreError } from '@anime-upscaler/core'
import { formatSeconds, ordinal, parseScale } from '../src/browser/format'
import { cropTarget, dedupOption, videoOptions } from '../src/core-options'
import { centerCrop } from '../src/media'
import { PAGE_WORDING, describeForPage, plainError } from '../src/plain-errors'
import { pathSegments } from '../src/http'
import { SettingsError, defaultSettings, parseSettings } from '../src/settings'
import { displayName } from '../src/uploads'

describe('settings', () => {
  test('missing fields take the defaults; the dedup object passes through', () => {
    expect(parseSettings({})).toMatchObject({ ...defaultSettings(), width: undefined, height: undefined })
    const settings = parseSettings({ model: 'anime4k-s', dedup: { detector: 'hash', hashDistance: '6', hi: 5 }, workers: '2', tile: '', crf: 20 })
    expect(settings).toMatchObject({ model: 'anime4k-s', workers: 2, tile: 'auto', crf: 20 })
    // Only the chosen detector's thresholds go to core.
    expect(dedupOption(settings)).toEqual({ detector: 'hash', hashDistance: 6 })
    expect(dedupOption(parseSettings({ dedup: { detector: 'default', hi: 500, frac: 0.5, maxRun: 3, hashDistance: 2 } }))).toEqual({ detector: 'default', hi: 500, frac: 0.5, maxRun: 3 })
    // Off is said explicitly: core detects duplicates unless told not to.
    expect(dedupOption(parseSettings({ dedup: { detector: 'off', maxRun: 2 } }))).toEqual({ detector: 'off' })
    expect(videoOptions(parseSettings({}), {}).dedup).toEqual({ detector: 'default' })
    // Reuse: core's default mode, references left to core (it bounds them by memory).
    expect(videoOptions(parseSettings({}), {})).toMatchObject({ reuse: 'tiles', reuseRefs: undefined })
    expect(videoOptions(parseSettings({ reuse: 'frames', reuseRefs: '4' }), {})).toMatchObject({ reuse: 'frames', reuseRefs: 4 })
  })

  test.each([
    [{ model: '../../model.onnx' }, /^Model must be one of/],
    [{ sizeMode: 'size' }, /needs a width, a height or both/],
    [{ workers: 0 }, /Workers must be a whole number from 1/],
    [{ crf: 12.5 }, /CRF must be a whole number/],
    [{ dedup: { detector: 'magic' } }, /Duplicate detector must be one of off, default, hash, exact/],
    [{ dedup: { frac: 2 } }, /Duplicate share of blocks \(frac\) must be a number from 0 to 1/],
    [{ dedup: { detector: './my-detector.mjs' } }, /Duplicate detector must be one of/],
    [{ dedup: { detector: 'hash', hashDistance: 1.5 } }, /Hash distance must be a whole number/],
    [{ reuse: 'always' }, /^Reuse must be one of off, frames, tiles \(received "always"\)/],
    [{ reuseRefs: 0 }, /^Reference frames must be a whole number from 1 to 64 \(received 0\)/],
    [{ reuseRefs: 2.5 }, /^Reference frames must be a whole number/],
    [{ codec: 'h264' }, /Video codec must be one of libx264/],
    [[], /Settings must be an object/],
  ])('%j is refused with the setting named', (raw, message) => {
    expect(() => parseSettings(raw)).toThrow(SettingsError)
    expect(() => parseSettings(raw)).toThrow(message)
  })

  test('video options: mode, encoder with the streams kept; ffv1 gets neither crf nor preset', () => {
    const options = videoOptions(parseSettings({ processing: 'sequential', codec: 'libvpx-vp9', crf: 30, preset: 'fast', audio: 'libopus', subtitles: 'webvtt', attachments: 'none' }), {})
    expect(options).toMatchObject({
      mode: 'sequential',
      target: { scale: 2 },
      overwrite: true,
      keepPartial: false,
      encoder: { codec: 'libvpx-vp9', crf: 30, preset: 'fast', audioCodec: 'libopus', subtitleCodec: 'webvtt', attachments: 'none' },
    })
    expect(videoOptions(parseSettings({ codec: 'ffv1', crf: 10 }), {}).encoder).toEqual({ codec: 'ffv1', audioCodec: 'copy', subtitleCodec: 'copy', attachments: 'copy' })
  })

  test('a preview crop scales as the whole picture would', () => {
    const bySize = parseSettings({ sizeMode: 'size', width: 1920 })
    expect(cropTarget(bySize, 960, 540, 384, 384)).toEqual({ scale: 2 })
    const both = parseSettings({ sizeMode: 'size', width: 1000, height: 1000 })
    expect(cropTarget(both, 500, 250, 100, 100)).toEqual({ width: 200, height: 400 })
  })
})

describe('helpers', () => {
  test('request paths: dot segments and encoded separators are refused before any lookup', () => {
    expect(pathSegments('/api/jobs/abc/files/output-1.png?download=1')).toEqual(['api', 'jobs', 'abc', 'files', 'output-1.png'])
    expect(pathSegments('/')).toEqual([''])
    for (const bad of ['/a/../b', '/a/./b', '/a/%2e%2e/b', '/a/%2F', '/a//b', '/a\\b', '/a/%00', 'http://x/a', '/a/%E0%A4%A']) expect(() => pathSegments(bad)).toThrow(/Bad request path/)
  })

  test('display names drop folders and control characters', () => {
    expect(displayName(encodeURIComponent('C:\\Users\\me\\ep 01.mkv'), 'x')).toBe('ep 01.mkv')
    expect(displayName('../../etc/passwd', 'x')).toBe('passwd')
    expect(displayName('..', 'upload')).toBe('upload')
    expect(displayName('a\u0000b"\n.png', 'x')).toBe('ab.png')
  })

  test('errors in plain words: paths become names, CLI hints and ffmpeg output move aside', () => {
    const names = new Map([['/tmp/w/jobs/1/in/input-1.png', 'cat.png']])
    const tooLarge = new CoreError('E_IMAGE_TOO_LARGE', 'decode', '/tmp/w/jobs/1/in/input-1.png is 20000x20000 (400 megapixels), more than the limit of 268 megapixels; raise it with --max-pixels if you have the memory')
    expect(plainError(tooLarge, names)).toEqual({ code: 'E_IMAGE_TOO_LARGE', message: 'This image is too large: "cat.png" is 20000x20000 (400 megapixels), more than the limit of 268 megapixels.' })
    const ffmpeg = new CoreError('E_ENCODE', 'encode', 'encode failed: ffmpeg exited with code 1\nffmpeg said:\nUnknown encoder')
    expect(plainError(ffmpeg)).toEqual({ code: 'E_ENCODE', message: 'Encoding the result failed: ffmpeg exited with code 1.', detail: 'ffmpeg said:\nUnknown encoder' })
  })

  test('centre crop keeps the middle, for 8- and 16-bit pictures', () => {
    const data = new Uint16Array(4 * 4 * 3).map((_, i) => i)
    const { image, cropped } = centerCrop({ data, width: 4, height: 4, channels: 3 }, 2)
    expect(cropped).toBe(true)
    expect(image.data).toBeInstanceOf(Uint16Array)
    expect([image.width, image.height]).toEqual([2, 2])
    expect(Array.from(image.data.slice(0, 3))).toEqual([15, 16, 17])
    expect(centerCrop({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, 8).cropped).toBe(false)
  })
})

describe('the page\'s formatting', () => {
  test('Scale: what was typed is the value; anything else is explained', () => {
    expect(parseScale('1.5', 1, 16)).toEqual({ value: 1.5 })
    expect(parseScale('2.7', 1, 16)).toEqual({ value: 2.7 })
    expect(parseScale(' 3,25 ', 1, 16)).toEqual({ value: 3.25 })
    expect(parseScale('1.', 1, 16)).toEqual({ value: 1 })
    expect(parseScale('', 1, 16)).toEqual({ error: 'Scale is a number from 1 to 16, such as 1.5, 2 or 2.7.' })
    expect(parseScale('x2', 1, 16)).toEqual({ error: 'Scale is a number from 1 to 16, such as 1.5, 2 or 2.7.' })
    expect(parseScale('0.5', 1, 16)).toEqual({ error: 'Scale is a number from 1 to 16, such as 1.5, 2 or 2.7; 0.5 is too small.' })
    expect(parseScale('17', 1, 16)).toEqual({ error: 'Scale is a number from 1 to 16, such as 1.5, 2 or 2.7; 17 is too large.' })
  })

  test('places in line and durations', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st'])
    expect([undefined, 0, 59.4, 61, 3723].map(formatSeconds)).toEqual(['—', '0 s', '59 s', '1:01', '1:02:03'])
  })
})

test("core's option names become the page's settings in messages", () => {
  const message = "These settings cannot be used: MP4 (.mp4) cannot hold the source's ass subtitles (stream #2): choose an .mkv output, or set subtitleCodec: 'mov_text' to convert them (text subtitles only; styling is lost), or subtitleCodec: 'none' to drop it"
  const plain = plainError(new CoreError('E_INVALID_ARGUMENT', 'encode', message))
  expect(plain.message).toBe("These settings cannot be used: MP4 (.mp4) cannot hold the source's ass subtitles (stream #2): choose the Container auto or mkv, or set Subtitles to mov_text to convert them (text subtitles only; styling is lost), or Subtitles to none to drop it.")
  // With core's structured field, the page also learns which setting to point at.
  const structured = Object.assign(new CoreError('E_INVALID_ARGUMENT', 'encode', 'MP4 cannot hold the Opus audio'), { option: 'audioCodec' })
  expect(plainError(structured).setting).toBe('audio')
})

test("errors that word themselves (common's structured errors) are worded with the page's settings, also when core wraps them", () => {
  // The shape of @anime-upscaler/common's AnimeUpscalerError: describe(wording) renders its option references.
  const stageError = Object.assign(new Error("set subtitleCodec: 'mov_text' to convert them"), {
    option: 'encoder.subtitleCodec',
    describe: (wording: typeof PAGE_WORDING) => `set ${wording.setting('encoder.subtitleCodec', 'mov_text')} to convert them, or ${wording.name('overwrite') ?? 'overwrite'}`,
  })
  expect(describeForPage(stageError)).toEqual({ message: 'set Subtitles to mov_text to convert them, or overwrite', option: 'encoder.subtitleCodec' })
  const wrapped = new CoreError('E_INVALID_ARGUMENT', 'encode', `encode failed: ${stageError.message}`, { cause: stageError })
  expect(describeForPage(wrapped)).toEqual({ message: 'encode failed: set Subtitles to mov_text to convert them, or overwrite', option: 'encoder.subtitleCodec' })
  expect(describeForPage(new Error('plain'))).toEqual({ message: 'plain' })
})
