import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { probe } from '../src'
import { FIXTURES, VFR_FILTER, childProcesses, describeFixtures, expectError, ffmpeg, ffprobeJson, makeVideo, tempDir } from './helpers'

const { dir, cleanup } = tempDir()
const file = (name: string) => join(dir, name)

beforeAll(() => {
  makeVideo(file('cfr.mp4'), { frames: 48, rate: '24' })
  makeVideo(file('ntsc.mkv'), { frames: 48, rate: '24000/1001', size: '64x48' })
  makeVideo(file('vfr.mkv'), { frames: 30, rate: '120', size: '64x48', filters: VFR_FILTER })
  makeVideo(file('tagged.mp4'), {
    frames: 2,
    size: '64x48',
    filters: 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
    extra: ['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
  })
  makeVideo(file('ten-bit.mp4'), { frames: 2, size: '64x48', codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le'] })
  makeVideo(file('sar.mp4'), { frames: 2, size: '64x48', filters: 'setsar=4/3' })
  makeVideo(file('plain.mp4'), { frames: 3, size: '64x48' })
  // The bundled 2018 muxer writes `rotate=N` as a display matrix that ffmpeg (2018 and 2023) reads back as 360-N clockwise.
  ffmpeg('-i', file('plain.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=270', file('rotated.mp4'))
  writeFileSync(file('subs.srt'), '1\n00:00:00,000 --> 00:00:00,300\nHello\n')
  writeFileSync(file('notes.txt'), 'notes\n')
  ffmpeg(
    '-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-f', 'lavfi', '-i', 'sine=d=1', '-i', file('subs.srt'),
    '-attach', file('notes.txt'), '-metadata:s:t', 'mimetype=text/plain',
    '-map', '0:v', '-map', '1:a', '-map', '2:s', '-frames:v', '10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
    '-metadata:s:a:0', 'language=jpn', '-metadata:s:a:0', 'title=Commentary', '-metadata:s:s:0', 'language=eng',
    file('multi.mkv'),
  )
  ffmpeg('-f', 'lavfi', '-i', 'sine=d=0.5', '-c:a', 'aac', file('audio.m4a'))
  // A video stream with no frames at all (next to 1 s of audio).
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=10:d=1', '-f', 'lavfi', '-i', 'sine=d=1', '-vf', 'select=0', '-c:v', 'libx264', '-c:a', 'aac', file('zero-frames.mkv'))
  writeFileSync(file('not-media.mp4'), 'This is a text file that pretends to be a video.\n'.repeat(50))
  makeVideo(file('anim.gif'), { frames: 6, rate: '10', size: '64x48', codec: [] })
  makeVideo(file('anim.webp'), { frames: 3, rate: '10', size: '64x48', codec: ['-c:v', 'libwebp_anim', '-loop', '0'] })
  mkdirSync(file('seq'))
  makeVideo(file('seq/frame_%04d.png'), { frames: 7, size: '64x48', codec: [] })
  mkdirSync(file('a folder'))
})
afterAll(cleanup)

describe('probe', () => {
  test('constant-rate MP4: exact rational rate, exact frame count, size, pixel format, duration', async () => {
    const info = await probe(file('cfr.mp4'))
    expect(info.video).toMatchObject({
      index: 0,
      codec: 'h264',
      width: 160,
      height: 120,
      displayWidth: 160,
      displayHeight: 120,
      rotation: 0,
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      rFrameRate: { num: 24, den: 1 },
      avgFrameRate: { num: 24, den: 1 },
      frameRate: { num: 24, den: 1 },
      variableFrameRate: false,
      frameCount: 48,
      frameCountExact: true,
      timestampsScanned: 48,
      timestampsComplete: true,
      startTime: 0,
      sampleAspectRatio: { num: 1, den: 1 },
    })
    expect(info.video.duration).toBeCloseTo(2, 6)
    expect(info.format.name).toContain('mp4')
    expect(info.streams).toHaveLength(1)
    expect(JSON.parse(JSON.stringify(info))).toEqual(info)
  })

  test('23.976 fps Matroska (1 ms timestamps, rounded): constant rate 24000/1001, frame count estimated from packets', async () => {
    const info = await probe(file('ntsc.mkv'))
    expect(info.video).toMatchObject({ frameRate: { num: 24000, den: 1001 }, variableFrameRate: false, frameCount: 48, frameCountExact: false })
  })

  test('a real variable-frame-rate file (24, then 12, then 30 fps) is detected, although r_frame_rate equals avg_frame_rate', async () => {
    const raw = ffprobeJson(file('vfr.mkv'), '-show_streams').streams[0]
    expect(raw.r_frame_rate).toBe(raw.avg_frame_rate) // comparing the two would miss it
    const info = await probe(file('vfr.mkv'))
    expect(info.video.variableFrameRate).toBe(true)
    expect(info.video.frameCount).toBe(30)
    expect(info.video.timestampsScanned).toBe(30)
    // ffprobe says 120/1 for both rates; the nominal rate of a VFR video is the measured average.
    const rate = info.video.frameRate.num / info.video.frameRate.den
    expect(Math.abs(rate - 30 / info.video.duration)).toBeLessThan(0.05 * rate)
  })

  test('scanPackets: 0 skips the packet scan (VFR then only from the two rates); a cap reads only that many packets', async () => {
    const skipped = await probe(file('vfr.mkv'), { scanPackets: 0 })
    expect(skipped.video).toMatchObject({ timestampsScanned: 0, timestampsComplete: false, variableFrameRate: false })
    const capped = await probe(file('vfr.mkv'), { scanPackets: 15 })
    expect(capped.video).toMatchObject({ timestampsScanned: 15, timestampsComplete: false, variableFrameRate: true })
  })

  test('colour description and 10-bit depth', async () => {
    const tagged = await probe(file('tagged.mp4'))
    expect(tagged.video.color).toEqual({ matrix: 'bt709', range: 'tv', primaries: 'bt709', transfer: 'bt709' })
    const untagged = await probe(file('plain.mp4'))
    expect(untagged.video.color).toEqual({})
    const tenBit = await probe(file('ten-bit.mp4'))
    expect(tenBit.video).toMatchObject({ pixelFormat: 'yuv420p10le', bitDepth: 10 })
  })

  test('rotation from the display matrix swaps the display size; sample aspect ratio is reported', async () => {
    const rotated = await probe(file('rotated.mp4'))
    expect(rotated.video).toMatchObject({ rotation: 90, width: 64, height: 48, displayWidth: 48, displayHeight: 64 })
    const sar = await probe(file('sar.mp4'))
    expect(sar.video.sampleAspectRatio).toEqual({ num: 4, den: 3 })
  })

  test('lists every stream with codec, language and title; attachments with file name and type', async () => {
    const info = await probe(file('multi.mkv'))
    expect(info.streams.map((s) => [s.index, s.type, s.codec])).toEqual([
      [0, 'video', 'h264'],
      [1, 'audio', 'aac'],
      [2, 'subtitle', 'subrip'],
      [3, 'attachment', 'unknown'],
    ])
    expect(info.streams[1]).toMatchObject({ language: 'jpn', title: 'Commentary', sampleRate: 44100, channels: 1 })
    expect(info.streams[2]).toMatchObject({ language: 'eng' })
    expect(info.streams[3]).toMatchObject({ filename: 'notes.txt', mimeType: 'text/plain' })
  })

  test('animated GIF and image sequences are video inputs', async () => {
    const gif = await probe(file('anim.gif'))
    expect(gif.video).toMatchObject({ codec: 'gif', width: 64, height: 48, frameCount: 6, frameRate: { num: 10, den: 1 } })
    const sequence = await probe(file('seq/frame_%04d.png'), { frameRate: 10 })
    expect(sequence.imageSequence).toBe(true)
    expect(sequence.video).toMatchObject({ codec: 'png', pixelFormat: 'rgb24', frameCount: 7, frameCountExact: false, frameRate: { num: 10, den: 1 } })
    expect(sequence.video.duration).toBeCloseTo(0.7, 6)
  })

  describe('bad input: a typed error with a clear message', () => {
    test('missing file', async () => {
      const error = await expectError(probe(file('missing.mp4')), 'E_NOT_FOUND')
      expect(error.message).toBe(`Input file not found: '${file('missing.mp4')}'`)
      await expectError(probe(file('missing/frame_%04d.png')), 'E_NOT_FOUND')
      await expectError(probe(file('seq/other_%04d.png')), 'E_NOT_FOUND')
    })

    test('not media, and a folder', async () => {
      const error = await expectError(probe(file('not-media.mp4')), 'E_NOT_MEDIA')
      expect(error.message).toMatch(/^Cannot read '.*not-media\.mp4' as media: Invalid data found when processing input/)
      const folder = await expectError(probe(file('a folder')), 'E_NOT_MEDIA')
      expect(folder.message).toContain('is a folder')
    })

    test('audio-only file', async () => {
      const error = await expectError(probe(file('audio.m4a')), 'E_NO_VIDEO')
      expect(error.message).toMatch(/has no video stream \(it is audio-only: audio \(aac\)\)/)
    })

    test('a video stream with 0 frames', async () => {
      const error = await expectError(probe(file('zero-frames.mkv')), 'E_NO_FRAMES')
      expect(error.message).toMatch(/The h264 video stream of '.*zero-frames\.mkv' has no frames/)
    })

    test('animated WebP: ffmpeg cannot decode it, and the error says so', async () => {
      const error = await expectError(probe(file('anim.webp')), 'E_UNSUPPORTED')
      expect(error.message).toContain('animated WebP is not supported')
    })

    test('a stream index that is not video', async () => {
      const error = await expectError(probe(file('multi.mkv'), { streamIndex: 1 }), 'E_NO_VIDEO')
      expect(error.message).toMatch(/Stream 1 of '.*' is audio, not video/)
    })

    test('invalid options name the option and the value', async () => {
      await expect(probe(file('cfr.mp4'), { scanPackets: -3 })).rejects.toThrow('Expected non-negative integer for scanPackets but received -3')
      await expect(probe(file('cfr.mp4'), { frameRate: '0/1' })).rejects.toThrow("Expected positive frame rate (number, 'num/den' or { num, den }) for frameRate but received '0/1'")
      await expect(probe('')).rejects.toThrow("Expected non-empty string for input but received ''")
    })

    test('no ffprobe is left running after failures', async () => {
      await Promise.allSettled([probe(file('not-media.mp4')), probe(file('audio.m4a'))])
      expect(childProcesses().filter((p) => p.name === 'ffprobe')).toEqual([])
    })
  })
})

describeFixtures('probe on the shared fixtures', () => {
  test('hero_360p.webm: VP9 640x360, 24000/1001, 360 frames, Opus audio', async () => {
    const info = await probe(join(FIXTURES, 'video/hero_360p.webm'))
    expect(info.video).toMatchObject({ codec: 'vp9', width: 640, height: 360, frameRate: { num: 24000, den: 1001 }, variableFrameRate: false, frameCount: 360, frameCountExact: false, color: { range: 'tv' } })
    expect(info.video.duration).toBeCloseTo(15.015, 3)
    expect(info.streams.map((s) => s.codec)).toEqual(['vp9', 'opus'])
    expect(info.streams[1]).toMatchObject({ language: 'eng', sampleRate: 48000, channels: 2 })
  })

  test('short_360p.mp4: H.264 640x360, 24 fps, exactly 72 frames, AAC audio', async () => {
    const info = await probe(join(FIXTURES, 'video/short_360p.mp4'))
    expect(info.video).toMatchObject({ codec: 'h264', width: 640, height: 360, frameRate: { num: 24, den: 1 }, variableFrameRate: false, frameCount: 72, frameCountExact: true })
    expect(info.streams.map((s) => s.codec)).toEqual(['h264', 'aac'])
  })
})
