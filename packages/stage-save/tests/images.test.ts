import * as path from 'node:path'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { from } from 'rxjs'
import { saveFrames, SaveError } from '../src'
import type { FrameToSave, SaveEvent } from '../src'
import { collect, ffmpeg, framesOf, lavfi, rawFrames, shuffledInBlocks, tempDir, withCredits } from './helpers'

let t: ReturnType<typeof tempDir>
beforeAll(() => {
  t = tempDir()
})
afterAll(() => t.remove())

const W = 96
const H = 64

async function decodeImage(file: string, pixFmt: 'rgb24' | 'rgb48le' = 'rgb24'): Promise<Buffer> {
  return ffmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1'])
}

describe('mode images: one file per frame, named by index', () => {
  test('png, out of order, with a duplicate: exact pixels, atomic names, nothing temporary left', async () => {
    const images = (await rawFrames(lavfi(`testsrc2=s=${W}x${H}:r=24`), W, H, 6)) as Uint8Array[]
    const frames: FrameToSave[] = framesOf(images, W, H).map((f) => (f.index === 4 ? { index: 4, duplicateOf: 3 } : f))
    const dir = path.join(t.dir, 'png out')
    const events = await collect(withCredits(shuffledInBlocks(frames, 3), saveFrames({ output: dir, mode: 'images' }), 4))
    expect(readdirSync(dir).sort()).toEqual(['000000.png', '000001.png', '000002.png', '000003.png', '000004.png', '000005.png'])
    const saved = events.filter((e) => e.type === 'saved') as Array<Extract<SaveEvent, { type: 'saved' }>>
    expect(saved.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5])
    expect(saved[2].file).toBe(path.join(dir, '000002.png'))
    expect(events.at(-1)).toEqual({ type: 'finished', output: dir, frames: 6, partial: false })
    for (let i = 0; i < 6; i++) {
      const expected = images[i === 4 ? 3 : i]
      expect((await decodeImage(path.join(dir, `00000${i}.png`))).equals(Buffer.from(expected))).toBe(true)
    }
  })

  test('16-bit frames stay 16-bit in png', async () => {
    const images = (await rawFrames(lavfi(`testsrc2=s=${W}x${H}`), W, H, 2, 16)) as Uint16Array[]
    const dir = path.join(t.dir, 'png16')
    await collect(from(framesOf(images, W, H)).pipe(saveFrames({ output: dir, mode: 'images', prefix: 'frame_', digits: 4, firstIndex: 0 })))
    expect(readdirSync(dir).sort()).toEqual(['frame_0000.png', 'frame_0001.png'])
    const back = await decodeImage(path.join(dir, 'frame_0001.png'), 'rgb48le')
    expect(back.equals(Buffer.from(images[1].buffer, images[1].byteOffset, images[1].byteLength))).toBe(true)
  })

  test('webp: lossless by default (exact), lossy with a quality', async () => {
    const images = (await rawFrames(lavfi(`testsrc2=s=${W}x${H}`), W, H, 3)) as Uint8Array[]
    const lossless = path.join(t.dir, 'webp')
    await collect(from(framesOf(images, W, H)).pipe(saveFrames({ output: lossless, mode: 'images', imageFormat: 'webp' })))
    expect(readdirSync(lossless).sort()).toEqual(['000000.webp', '000001.webp', '000002.webp'])
    expect(readFileSync(path.join(lossless, '000002.webp')).subarray(0, 4).toString()).toBe('RIFF')
    expect((await decodeImage(path.join(lossless, '000002.webp'))).equals(Buffer.from(images[2]))).toBe(true)
    const lossy = path.join(t.dir, 'webp-lossy')
    await collect(from(framesOf(images, W, H)).pipe(saveFrames({ output: lossy, mode: 'images', imageFormat: 'webp', quality: 75 })))
    expect(readdirSync(lossy)).toHaveLength(3)
    expect((await decodeImage(path.join(lossy, '000000.webp'))).length).toBe(W * H * 3)
  })

  test('existing frame files are refused without overwrite', async () => {
    const dir = path.join(t.dir, 'taken')
    mkdirSync(dir)
    writeFileSync(path.join(dir, '000001.png'), 'old')
    const images = (await rawFrames(lavfi(`testsrc2=s=${W}x${H}`), W, H, 2)) as Uint8Array[]
    const error = (await collect(from(framesOf(images, W, H)).pipe(saveFrames({ output: dir, mode: 'images' }))).catch((e) => e)) as SaveError
    expect(error.code).toBe('E_OUTPUT_EXISTS')
    expect(error.message).toBe(`Output folder '${dir}' already holds frame files such as '000001.png': use overwrite: true to replace them, or choose an empty folder`)
    expect(readFileSync(path.join(dir, '000001.png'), 'utf8')).toBe('old')
    await collect(from(framesOf(images, W, H)).pipe(saveFrames({ output: dir, mode: 'images', overwrite: true })))
    expect(readdirSync(dir).sort()).toEqual(['000000.png', '000001.png'])
    expect(existsSync(path.join(dir, '000001.png'))).toBe(true)
    expect((await decodeImage(path.join(dir, '000001.png'))).equals(Buffer.from(images[1]))).toBe(true)
  })
})
