import { Worker } from 'node:worker_threads'
import { TestScheduler } from 'rxjs/testing'
import { lastValueFrom, of, toArray } from 'rxjs'
import type { EngineImage } from '../src/engine'
import { upscale, type Frame } from '../src/operator'
import { PLAIN_GEOMETRY } from '../src/tiling'
import type { Upscaler } from '../src/upscaler'

const image = (width: number): EngineImage => ({ data: new Uint8Array(width * 3), width, height: 1, channels: 3 })

/** A pool whose upscale is a cold marble: lets TestScheduler control when each frame finishes. */
function fakePool(upscaleImage: (image: EngineImage) => unknown, workers = 2): Upscaler {
  return {
    info: { id: 'fake', inputName: 'input', outputName: 'output', dtype: 'float32', scale: 2, yuv420: false, provider: 'cpu', geometry: PLAIN_GEOMETRY, paddingMode: 'edge', alpha: 'model', globalPooling: false },
    workers,
    threads: 1,
    timing: { inferenceMs: 0, totalMs: 0 },
    upscale: upscaleImage as Upscaler['upscale'],
    upscaleToYuv420: () => Promise.reject(new Error('not used')),
    close: async () => undefined,
  }
}

describe('upscale operator (marbles)', () => {
  const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

  test('at most `concurrency` frames in flight; the rest wait in arrival order', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const frames: Record<string, Frame> = { a: { index: 0, image: image(1) }, b: { index: 1, image: image(2) }, c: { index: 2, image: image(3) } }
      const source = hot('-a-b-c-|', frames)
      const work = cold('----x|', { x: image(9) })
      const pool = fakePool(() => work)
      const result = source.pipe(upscale({ upscaler: pool, concurrency: 2 }))
      // a and b start as they arrive; c (frame 5) waits until a completes (frame 6), so it is done at 10.
      expectObservable(result).toBe('-----A-B--C|', {
        A: { index: 0, image: image(9) },
        B: { index: 1, image: image(9) },
        C: { index: 2, image: image(9) },
      })
      expectSubscriptions(work.subscriptions).toBe(['-^----!', '---^----!', '------^----!'])
    })
  })

  test('frames finish out of order and keep their index and other fields', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('-a-b|', { a: { index: 0, pts: 0, image: image(1) }, b: { index: 1, pts: 0.5, image: image(2) } })
      // The first frame is slow, the second fast: the second comes out first.
      const pool = fakePool((img) => (img.width === 1 ? cold('-----x|', { x: image(10) }) : cold('-y|', { y: image(20) })))
      expectObservable(source.pipe(upscale({ upscaler: pool }))).toBe('----B-A|', {
        A: { index: 0, pts: 0, image: image(10) },
        B: { index: 1, pts: 0.5, image: image(20) },
      })
    })
  })

  test('an error names the frame and stops the stream', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const source = hot('-a-b', { a: { index: 7, image: image(1) }, b: { index: 8, image: image(2) } })
      const pool = fakePool(() => cold('--#', undefined, new Error('out of memory')))
      expectObservable(source.pipe(upscale({ upscaler: pool }))).toBe('---#', undefined, expect.objectContaining({ message: 'Frame 7: out of memory', code: 'E_INFERENCE' }))
    })
  })
})

describe('upscale operator with real workers', () => {
  test('upscales every frame with the built-in model and closes its own pool', async () => {
    const frames = Array.from({ length: 4 }, (_, index) => ({ index, image: { data: new Uint8Array(24 * 16 * 3).fill(index * 40), width: 24, height: 16, channels: 3 } as EngineImage }))
    // The pool's workers, as they are sent their frames.
    const sent = jest.spyOn(Worker.prototype, 'postMessage')
    const out = await lastValueFrom(of(...frames).pipe(upscale({ model: 'anime4k-s', workers: 2, threads: 1 }), toArray()))
    const workers = [...new Set(sent.mock.contexts as Worker[])]
    sent.mockRestore()
    expect(workers).toHaveLength(2)
    // Its threads end once the stream is over (a finished worker's threadId is -1).
    const deadline = Date.now() + 20_000
    while (workers.some((worker) => worker.threadId !== -1) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(workers.map((worker) => worker.threadId)).toEqual([-1, -1])
    expect(out.map((f) => f.index).sort()).toEqual([0, 1, 2, 3])
    for (const frame of out) {
      expect([frame.image.width, frame.image.height]).toEqual([48, 32])
      // A flat image stays flat through Anime4K away from the zero-padded border (residuals of a constant are constant).
      const value = frame.index * 40
      const centre = frame.image.data.subarray((16 * 48 + 24) * 3, (16 * 48 + 24) * 3 + 3)
      expect(Math.max(...Array.from(centre, (v) => Math.abs(v - value)))).toBeLessThanOrEqual(2)
    }
  })
})
