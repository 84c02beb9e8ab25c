import { join } from 'node:path'
import { extractFrames, readFrame } from '../src'
import { FIXTURES, VFR_FILTER, collect, describeFixtures, expectError, makeVideo, tempDir } from './helpers'

const { dir, cleanup } = tempDir()
const file = (name: string) => join(dir, name)
afterAll(cleanup)

/** Every frame by decoding from the start: what readFrame must match. */
async function allFrames(path: string) {
  return collect(extractFrames(path))
}

describe('readFrame', () => {
  // Keyframes every 12 frames and B-frames: a seek lands on a keyframe before the frame and decodes from there.
  test.each([
    ['24 fps H.264 in MP4', 'cfr.mp4', { rate: '24', extra: ['-g', '12', '-bf', '3'] }],
    ['24000/1001 in Matroska (millisecond timestamps)', 'ntsc.mkv', { rate: '24000/1001', extra: ['-g', '12', '-bf', '3'] }],
  ])('%s: seeking gives the same frame, index and time as decoding from the start', async (_name, name, opts) => {
    const path = makeVideo(file(name), { frames: 40, codec: ['-c:v', 'libx264', '-preset', 'medium', '-pix_fmt', 'yuv420p'], ...opts })
    const frames = await allFrames(path)
    expect(frames).toHaveLength(40)
    for (const index of [0, 1, 11, 12, 13, 26, 39]) {
      const frame = await readFrame(path, index)
      expect(frame.index).toBe(index)
      expect(frame.pts).toBeCloseTo(frames[index].pts, 6)
      expect(Buffer.compare(Buffer.from(frame.image.data), Buffer.from(frames[index].image.data))).toBe(0)
    }
  })

  test('variable frame rate: decoded from the start, still the right frame', async () => {
    const path = makeVideo(file('vfr.mkv'), { rate: '120', frames: 30, filters: VFR_FILTER, extra: ['-vsync', 'passthrough'] })
    const frames = await allFrames(path)
    const frame = await readFrame(path, 17)
    expect(frame.index).toBe(17)
    expect(frame.pts).toBeCloseTo(frames[17].pts, 6)
  })

  test('a frame past the end or a bad index is refused with the valid range', async () => {
    const path = makeVideo(file('short.mp4'), { frames: 5 })
    const error = await expectError(readFrame(path, 5), 'E_INVALID_ARGUMENT')
    expect(error.message).toContain('has 5 frames (0 to 4)')
    await expect(readFrame(path, -1)).rejects.toThrow('Expected non-negative integer for index but received -1')
  })
})

describeFixtures('readFrame on the shared fixtures', () => {
  test('hero_360p.webm: frames 100 and 359 by seeking equal those of a decode from the start', async () => {
    const path = join(FIXTURES, 'video', 'hero_360p.webm')
    const frames = await allFrames(path)
    for (const index of [100, 359]) {
      const frame = await readFrame(path, index)
      expect(frame.pts).toBeCloseTo(frames[index].pts, 6)
      expect(Buffer.compare(Buffer.from(frame.image.data), Buffer.from(frames[index].image.data))).toBe(0)
    }
  })
})
