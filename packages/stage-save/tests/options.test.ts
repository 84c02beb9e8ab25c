import { saveFrames, SaveError, parseRational, resolveOptions } from '../src'

const out = '/tmp/never-written.mkv'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as SaveError).code
  }
  return undefined
}

describe('option validation (thrown by saveFrames, before anything runs)', () => {
  test('numbers name the option, the expectation and the value', () => {
    expect(() => saveFrames({ output: out, crf: -3 })).toThrow('Expected integer from 0 to 51 for crf but received -3')
    expect(() => saveFrames({ output: out, codec: 'libvpx-vp9', crf: 64 })).toThrow('Expected integer from 0 to 63 for crf but received 64')
    expect(() => saveFrames({ output: out, crf: 1.5 })).toThrow('Expected integer from 0 to 51 for crf but received 1.5')
    expect(() => saveFrames({ output: out, reorderCapacity: 0 })).toThrow('Expected positive integer for reorderCapacity but received 0')
    expect(() => saveFrames({ output: out, duplicateCacheSize: -1 })).toThrow('Expected positive integer for duplicateCacheSize but received -1')
    expect(() => saveFrames({ output: out, firstIndex: -1 })).toThrow('Expected non-negative integer for firstIndex but received -1')
    expect(() => saveFrames({ output: out, killTimeoutMs: Number.NaN })).toThrow('Expected non-negative integer for killTimeoutMs but received NaN')
    expect(codeOf(() => saveFrames({ output: out, crf: -3 }))).toBe('E_INVALID_ARGUMENT')
  })

  test('choices list what is allowed', () => {
    expect(() => saveFrames({ output: out, codec: 'h264' as never })).toThrow(
      "Expected one of 'libx264', 'libx265', 'libvpx-vp9', 'ffv1' for codec but received 'h264'",
    )
    expect(() => saveFrames({ output: out, pixFmt: 'rgb24' as never })).toThrow("for pixFmt but received 'rgb24'")
    expect(() => saveFrames({ output: out, preset: 'turbo' as never })).toThrow("Expected one of 'ultrafast'")
    expect(() => saveFrames({ output: out, colorspace: 'bt808' })).toThrow("for colorspace but received 'bt808'")
    expect(() => saveFrames({ output: out, colorRange: 'wide' })).toThrow("Expected one of 'tv', 'pc', 'limited', 'full' for colorRange but received 'wide'")
    expect(() => saveFrames({ output: out, audioCodec: 'mp3' as never })).toThrow("for audioCodec but received 'mp3'")
    expect(() => saveFrames({ output: out, mode: 'gif' as never })).toThrow("Expected one of 'video', 'images' for mode but received 'gif'")
    expect(() => saveFrames({ output: out, overwrite: 'yes' as never })).toThrow("Expected boolean for overwrite but received 'yes'")
  })

  test('frame rates are rationals', () => {
    expect(parseRational('frameRate', '24000/1001')).toEqual({ num: 24000, den: 1001 })
    expect(parseRational('frameRate', '48/2')).toEqual({ num: 24, den: 1 })
    expect(parseRational('frameRate', 25)).toEqual({ num: 25, den: 1 })
    expect(() => saveFrames({ output: out, frameRate: '0/1' })).toThrow("Expected positive rational like '24000/1001' for frameRate but received '0/1'")
    expect(() => saveFrames({ output: out, frameRate: 23.976 })).toThrow("for frameRate but received 23.976")
    expect(() => saveFrames({ output: out, frameRate: '24/0' })).toThrow("for frameRate but received '24/0'")
  })

  test('output: a known container, and the codec must fit it', () => {
    expect(() => saveFrames({ output: '' })).toThrow("Expected non-empty string for output but received ''")
    expect(() => saveFrames({ output: 'clip.avi' })).toThrow("Expected output to end in .mkv, .webm, .mp4, .m4v, .mov but received 'clip.avi'")
    expect(() => saveFrames({ output: 'clip.mp4', codec: 'ffv1' })).toThrow(
      "MP4 (.mp4) cannot hold ffv1 video from codec 'ffv1': use codec 'libx264' or 'libx265' or 'libvpx-vp9', or an output ending in .mkv, .mov",
    )
    expect(codeOf(() => saveFrames({ output: 'clip.webm', codec: 'libx264' }))).toBe('E_INCOMPATIBLE_CONTAINER')
    expect(resolveOptions({ output: 'clip.webm' }).video?.codec).toBe('libvpx-vp9')
  })

  test('ffv1 is lossless: crf and preset do not apply', () => {
    expect(() => saveFrames({ output: out, codec: 'ffv1', crf: 10 })).toThrow('crf does not apply to ffv1, which is always lossless: remove crf (received 10)')
    expect(() => saveFrames({ output: out, codec: 'ffv1', preset: 'fast' })).toThrow("preset does not apply to ffv1: remove preset (received 'fast')")
  })

  test('image mode options', () => {
    expect(() => saveFrames({ output: '/tmp/x', mode: 'images', imageFormat: 'jpg' as never })).toThrow(
      "Expected one of 'png', 'webp' for imageFormat but received 'jpg'",
    )
    expect(() => saveFrames({ output: '/tmp/x', mode: 'images', digits: 0 })).toThrow('Expected integer from 1 to 12 for digits but received 0')
    expect(() => saveFrames({ output: '/tmp/x', mode: 'images', prefix: '../x' })).toThrow("for prefix but received '../x'")
    expect(() => saveFrames({ output: '/tmp/x', mode: 'images', quality: 80 })).toThrow("quality applies to webp images only, but imageFormat is 'png'")
    expect(() => saveFrames({ output: '/tmp/x', mode: 'images', imageFormat: 'webp', quality: 101 })).toThrow(
      'Expected integer from 0 to 100 for quality but received 101',
    )
  })

  test('defaults', () => {
    const r = resolveOptions({ output: 'a/b.mkv' })
    expect(r.video).toMatchObject({ codec: 'libx264', crf: 18, preset: 'medium', pixFmt: 'yuv420p', audioCodec: 'copy', subtitleCodec: 'copy', attachments: 'copy' })
    expect(r.video?.color).toEqual({ colorspace: 'auto', range: 'tv' })
    expect(r).toMatchObject({ reorderCapacity: 64, duplicateCacheSize: 4, firstIndex: 0, overwrite: false, keepPartial: false })
    // ffprobe's "unknown" means: decide for me.
    expect(resolveOptions({ output: 'a.mkv', colorspace: 'unknown', colorPrimaries: 'unknown', colorRange: 'unknown' }).video?.color).toEqual({
      colorspace: 'auto',
      range: 'tv',
    })
  })
})
