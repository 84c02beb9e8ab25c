import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { from, lastValueFrom, toArray } from 'rxjs'
import { detectDuplicates } from '@anime-upscaler/stage-detect'
import { SAMPLE_CLIP, probe, resolveFfmpeg, writeSampleClip } from '../src'

let dir = ''
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-sample-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the sample clip of the demo', () => {
  test('48 frames at exactly 24 fps, BT.709, with sound; drawn on twos, so half the frames are repeats', async () => {
    const output = join(dir, 'sample.mp4')
    await writeSampleClip(output, 320, 180)
    expect(readdirSync(dir)).toEqual(['sample.mp4'])
    const info = await probe(output)
    expect(info.video).toMatchObject({ width: 320, height: 180, frameCount: SAMPLE_CLIP.frames, frameRate: { num: 24, den: 1 }, variableFrameRate: false })
    expect(info.video.color).toMatchObject({ matrix: 'bt709', primaries: 'bt709', transfer: 'bt709' })
    expect(info.streams.map((stream) => stream.type)).toEqual(['video', 'audio'])

    // What the pipeline's default detector will make of it: every second frame repeats the one before.
    const raw = execFileSync(resolveFfmpeg(), ['-v', 'error', '-i', output, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { maxBuffer: 1 << 26 })
    const size = 320 * 180 * 3
    const frames = Array.from({ length: raw.length / size }, (_, index) => ({
      index,
      image: { data: new Uint8Array(raw.subarray(index * size, (index + 1) * size)), width: 320, height: 180, channels: 3 as const },
    }))
    const verdicts = await lastValueFrom(from(frames).pipe(detectDuplicates({ worker: false }), toArray()))
    expect(verdicts.filter((frame) => frame.duplicateOf !== undefined).map((frame) => frame.index)).toEqual(Array.from({ length: 24 }, (_, k) => 2 * k + 1))
  })
})
