import { join } from 'node:path'
import { extractFrames, listFrames, readFrame } from '../src'
import { FIXTURES, VFR_FILTER, collect, describeFixtures, ffmpeg, makeVideo, tempDir } from './helpers'

const { dir, cleanup } = tempDir()
const file = (name: string) => join(dir, name)
afterAll(cleanup)

const x264 = (gop: number) => ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0']

describe('listFrames', () => {
  test.each([
    ['24 fps H.264 with B-frames in MP4', 'cfr.mp4', { rate: '24', codec: [...x264(12), '-bf', '3'] }],
    ['24000/1001 in Matroska', 'ntsc.mkv', { rate: '24000/1001', codec: x264(10) }],
    ['variable rate in Matroska', 'vfr.mkv', { rate: '120', filters: VFR_FILTER, codec: x264(10), extra: ['-vsync', 'passthrough'] }],
  ])('%s: one time per decoded frame, equal to the decoder\'s, and the keyframes', async (_name, name, opts) => {
    const path = makeVideo(file(name), { frames: 30, ...opts })
    const [list, frames] = await Promise.all([listFrames(path), collect(extractFrames(path))])
    expect(list.times).toHaveLength(frames.length)
    list.times.forEach((time, i) => expect(time).toBeCloseTo(frames[i].pts, 6))
    expect(list.keyframes[0]).toBe(0)
    if (name !== 'vfr.mkv') expect(list.keyframes).toEqual(name === 'cfr.mp4' ? [0, 12, 24] : [0, 10, 20])
  })
})

describe('seekTo counts on the source\'s timeline, whatever the file\'s start time', () => {
  test('video starting at 0.5 s: each frame by seeking is the frame of a decode from the start', async () => {
    const path = file('late.mkv')
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-frames:v', '48', ...x264(12), '-output_ts_offset', '0.5', path)
    const frames = await collect(extractFrames(path))
    expect(frames[0].pts).toBeCloseTo(0.5, 3)
    for (const index of [1, 13, 30]) {
      const seeked = await collect(extractFrames(path, { seekTo: (frames[index - 1].pts + frames[index].pts) / 2, maxFrames: 2 }))
      expect(seeked.map((f) => f.pts)).toEqual([frames[index].pts, frames[index + 1].pts])
      expect((await readFrame(path, index)).pts).toBeCloseTo(frames[index].pts, 6)
    }
  })
})

describeFixtures('listFrames on the shared fixtures', () => {
  test('hero_360p.webm (its Opus starts at -6 ms): 360 frames, keyframes every 128; seeking a keyframe gives it', async () => {
    const path = join(FIXTURES, 'video', 'hero_360p.webm')
    const list = await listFrames(path)
    expect(list.times).toHaveLength(360)
    expect(list.keyframes).toEqual([0, 128, 256])
    const [frame] = await collect(extractFrames(path, { seekTo: (list.times[127] + list.times[128]) / 2, maxFrames: 1 }))
    expect(frame.pts).toBeCloseTo(list.times[128], 6)
  })
})
