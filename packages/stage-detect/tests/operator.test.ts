import { Worker } from 'node:worker_threads'
import { Subject, from, take, type Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { DEFAULT_THRESHOLDS, DetectError, detectDuplicates, type DetectOptions, type Detection } from '../src'
import { collect, duplicates, expectDetectError, framesOf, image, run, type TestFrame } from './helpers'

const flat = (v: number, w = 16, h = 16) => image(w, h, () => v)
const a = { index: 0, pts: 0, image: flat(10) }
const b = { index: 1, pts: 1, image: flat(10) }
const c = { index: 2, pts: 2, image: flat(200) }
const d = { index: 3, pts: 3, image: flat(200) }

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

describe('ordering and marking (marble tests, detectors that answer synchronously)', () => {
  const inline: Array<[string, DetectOptions<TestFrame>]> = [
    ['exact on the calling thread', { detector: 'exact', worker: false }],
    ['default on the calling thread', { detector: 'default', worker: false }],
    ['a custom compare function', { detector: (p: TestFrame, q: TestFrame) => p.image.data[0] === q.image.data[0] }],
  ]
  for (const [label, options] of inline) {
    test(`${label}: frames leave as they arrive, duplicates name the last kept frame`, () => {
      scheduler().run(({ cold, expectObservable }) => {
        const source = cold('-a-b--c-d|', { a, b, c, d })
        expectObservable(source.pipe(detectDuplicates(options))).toBe('-a-B--c-D|', { a, B: { ...b, duplicateOf: 0 }, c, D: { ...d, duplicateOf: 2 } })
      })
    })
  }

  test('off: every frame kept, a stale duplicateOf is removed', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const stale = { ...b, duplicateOf: 0 }
      expectObservable(cold('a-b|', { a, b: stale }).pipe(detectDuplicates({ detector: 'off' }))).toBe('a-b|', { a, b })
    })
  })

  test('frames out of index order: E_FRAME_ORDER at the frame that is late', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const expected = new DetectError('E_FRAME_ORDER', 'Frame 1 arrived after frame 2: detectDuplicates needs frames in increasing index order (place it before any operator that reorders frames)')
      expectObservable(cold('a-c-b-d|', { a, b, c, d }).pipe(detectDuplicates({ detector: 'exact', worker: false }))).toBe('a-c-#', { a, c }, expected)
    })
  })

  test('gaps in the indices are fine; a repeated index is not', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const far = { ...d, index: 10 }
      expectObservable(cold('a-c-f|', { a, c, f: far }).pipe(detectDuplicates({ detector: 'exact', worker: false }))).toBe('a-c-F|', { a, c, F: { ...far, duplicateOf: 2 } })
      expectObservable(cold('a-a|', { a }).pipe(detectDuplicates({ detector: 'off' }))).toBe('a-#', { a }, new DetectError('E_FRAME_ORDER', 'Frame 0 arrived after frame 0: detectDuplicates needs frames in increasing index order (place it before any operator that reorders frames)'))
    })
  })

  test('a source error passes through unchanged', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', { a }, new Error('decoder died')).pipe(detectDuplicates({ detector: 'exact', worker: false }))).toBe('a-#', { a }, new Error('decoder died'))
    })
  })
})

describe('built-in detectors in the worker thread', () => {
  test('frames leave in input order, with several in flight, and agree with the calling-thread run', async () => {
    const pattern = [0, 0, 1, 1, 1, 2, 3, 3, 0, 0, 4, 4, 4, 4, 5]
    const frames = framesOf(pattern.map((v) => image(64, 48, (x, y, ch) => (x * 3 + y * 5 + ch * 7 + v * 40) & 255)))
    for (const detector of ['default', 'hash', 'exact'] as const) {
      const inWorker = await run(frames, detectDuplicates({ detector, concurrency: 3 }))
      const inline = await run(frames, detectDuplicates({ detector, worker: false }))
      expect(inWorker.map((f) => f.index)).toEqual(frames.map((f) => f.index))
      expect(inWorker).toEqual(inline)
      expect(duplicates(inWorker)).toEqual([1, 3, 4, 7, 9, 11, 12, 13])
    }
  })

  test('frames pushed from a Subject while verdicts are pending', async () => {
    const subject = new Subject<TestFrame>()
    const result = collect(subject.pipe(detectDuplicates({})))
    const frames = framesOf([10, 10, 10, 90, 90, 10].map((v) => flat(v, 32, 32)))
    for (const frame of frames) subject.next(frame)
    subject.complete()
    const out = await result
    expect(out.map((f) => f.duplicateOf)).toEqual([undefined, 0, 0, undefined, 3, undefined])
  })

  test('16-bit frames are compared on the 8-bit scale', async () => {
    const wide = (v: number) => ({ data: new Uint16Array(32 * 32 * 3).fill(v), width: 32, height: 32, channels: 3 })
    const frames = [wide(1000), wide(1000 + 200), wide(1000 + 20 * 257)].map((img, index) => ({ index, image: img }))
    for (const detector of ['default', 'exact', 'hash'] as const) {
      const dups = duplicates(await run(frames, detectDuplicates({ detector })))
      expect(dups).toEqual(detector === 'exact' ? [] : detector === 'hash' ? [1, 2] : [1])
    }
  })

  test('a frame of another size is kept and becomes the reference', async () => {
    const frames = [flat(50, 16, 16), flat(50, 32, 16), flat(50, 32, 16), flat(50, 16, 16)].map((img, index) => ({ index, image: img }))
    for (const detector of ['default', 'exact', 'hash'] as const) {
      expect(duplicates(await run(frames, detectDuplicates({ detector })))).toEqual([2])
    }
  })

  test('unsubscribing early stops the worker thread', async () => {
    const terminate = jest.spyOn(Worker.prototype, 'terminate')
    const subject = new Subject<TestFrame>()
    const seen: number[] = []
    let verdict!: () => void
    const firstVerdict = new Promise<void>((resolve) => (verdict = resolve))
    const subscription = subject.pipe(detectDuplicates({})).subscribe((f) => {
      seen.push(f.index)
      verdict()
    })
    try {
      subject.next({ index: 0, pts: 0, image: flat(1, 64, 64) })
      await firstVerdict
      expect(seen).toEqual([0])
      expect(terminate).not.toHaveBeenCalled()
    } finally {
      subscription.unsubscribe()
    }
    expect(terminate).toHaveBeenCalledTimes(1)
    // take() unsubscribes too, with frames still in the worker.
    const out = await collect(from(framesOf(Array.from({ length: 50 }, (_, i) => flat(i % 3, 64, 64)))).pipe(detectDuplicates({}), take(5)))
    expect(out).toHaveLength(5)
    expect(terminate).toHaveBeenCalledTimes(2)
    terminate.mockRestore()
  })

  test('an empty stream completes', async () => {
    expect(await run([], detectDuplicates({}))).toEqual([])
  })
})

describe('sensitivity of the default detector', () => {
  // A flat grey picture where one 16x16 square gets brighter by `delta` (0-255 RGB).
  // (320x240, so that the blocks around the square stay well within frac's count.)
  const withSquare = (delta: number) => image(320, 240, (x, y) => (x >= 140 && x < 156 && y >= 100 && y < 116 ? 100 + delta : 100))
  test('a 16x16 area 16/255 brighter is caught; 10/255 (below hi) is not', async () => {
    for (const [delta, duplicate] of [[16, false], [20, false], [10, true], [0, true]] as const) {
      const frames = framesOf([withSquare(0), withSquare(delta)])
      const out = await run(frames, detectDuplicates({ worker: false }))
      expect([delta, out[1].duplicateOf !== undefined]).toEqual([delta, duplicate])
    }
  })

  test('a 16x16 change of hue only (same luma) is caught in the chroma planes', async () => {
    // Grey (128,128,128) vs a reddish grey of about the same BT.601 luma.
    const tinted = image(96, 64, (x, y, ch) => (x >= 40 && x < 56 && y >= 24 && y < 40 ? [160, 116, 116][ch] : 128))
    const out = await run(framesOf([image(96, 64, () => 128), tinted]), detectDuplicates({ worker: false }))
    expect(out[1].duplicateOf).toBeUndefined()
  })

  test('a change in the first 8 columns is caught (ffmpeg skips them)', async () => {
    const edge = image(96, 64, (x, y) => (x < 8 && y >= 24 && y < 40 ? 160 : 100))
    const out = await run(framesOf([image(96, 64, () => 100), edge]), detectDuplicates({ worker: false }))
    expect(out[1].duplicateOf).toBeUndefined()
  })

  test('frac: many blocks changed a little', async () => {
    // Every pixel +6: each 8x8 block differs by about 64 x 5 = 330 (> lo 192 but < hi): all blocks count.
    const out = await run(framesOf([image(96, 64, () => 100), image(96, 64, () => 106)]), detectDuplicates({ worker: false }))
    expect(out[1].duplicateOf).toBeUndefined()
    // With frac 1 and the count limit at every 16x16 area... still more blocks than areas: kept.
    const loose = await run(framesOf([image(96, 64, () => 100), image(96, 64, () => 106)]), detectDuplicates({ worker: false, lo: 400 }))
    expect(loose[1].duplicateOf).toBe(0)
  })
})

describe('invalid options are rejected right away, naming the parameter', () => {
  const cases: Array<[DetectOptions, string]> = [
    [{ hi: -3 }, 'Expected non-negative number for hi but received -3'],
    [{ lo: Number.NaN }, 'Expected non-negative number for lo but received NaN'],
    [{ lo: '320' as unknown as number }, "Expected non-negative number for lo but received '320'"],
    [{ frac: 1.5 }, 'Expected number from 0 to 1 for frac but received 1.5'],
    [{ frac: -0.1 }, 'Expected number from 0 to 1 for frac but received -0.1'],
    [{ maxRun: -1 }, 'Expected non-negative integer or Infinity for maxRun but received -1'],
    [{ maxRun: 2.5 }, 'Expected non-negative integer or Infinity for maxRun but received 2.5'],
    [{ hashBits: 7 }, 'Expected even positive integer for hashBits but received 7'],
    [{ hashDistance: -2 }, 'Expected non-negative integer for hashDistance but received -2'],
    [{ concurrency: 0 }, 'Expected positive integer for concurrency but received 0'],
    [{ matrix: 'bt2020' as 'bt709' }, "Expected one of 'auto', 'bt601', 'bt709' for matrix but received 'bt2020'"],
    [{ worker: 'yes' as unknown as boolean }, "Expected boolean for worker but received 'yes'"],
    [{ detector: 'phash' }, "Expected one of 'default', 'mpdecimate', 'hash', 'exact', 'off' or a module path such as './my-detector.mjs' for detector but received 'phash'"],
    [{ detector: { comparee: () => true } as never }, 'Expected a detector name, a module path, a compare function, or an object with compare() or operator for detector but received an object'],
  ]
  test.each(cases)('%j', (options, message) => {
    let thrown: unknown
    try {
      detectDuplicates(options)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(DetectError)
    expect(thrown).toMatchObject({ code: 'E_INVALID_ARGUMENT', message })
  })

  test('the defaults are the documented ones', () => {
    expect(DEFAULT_THRESHOLDS).toEqual({ hi: 768, lo: 192, frac: 0.33 })
  })
})

describe('invalid frames fail the stream with E_INVALID_FRAME', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no index', { image: flat(1) }, /Expected integer for index but received undefined/],
    ['no image', { index: 0 }, /Frame 0: expected an image object but received undefined/],
    ['float data', { index: 0, image: { ...flat(1), data: new Float32Array(16 * 16 * 3) } }, /Frame 0: expected Uint8Array or Uint16Array for image.data/],
    ['RGBA', { index: 0, image: { ...flat(1), channels: 4 } }, /Frame 0: expected 3 for image.channels \(interleaved RGB\) but received 4/],
    ['short data', { index: 0, image: { ...flat(1), width: 17 } }, /Frame 0: image.data has 768 samples, but 17x16 RGB needs 816/],
  ]
  test.each(bad)('%s', async (_label, frame, message) => {
    for (const worker of [true, false]) {
      const error = await expectDetectError(collect(from([frame as TestFrame]).pipe(detectDuplicates({ worker }))), 'E_INVALID_FRAME')
      expect(error.message).toMatch(message)
    }
  })
})

// Type-level check: the output keeps the input's own fields.
export const typed = (source: Observable<TestFrame>): Observable<TestFrame & Detection> => source.pipe(detectDuplicates({}))
