import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Observable, bufferCount, concatMap, delay, filter, from, map, mergeMap, of, timer } from 'rxjs'
import { DetectError, detectDuplicates, loadDetector, type CompareDetector, type DetectFrame, type OperatorDetector } from '../src'
import { duplicates, expectDetectError, framesOf, image, run, tempDir, type TestFrame } from './helpers'

const { dir, cleanup } = tempDir()
afterAll(cleanup)
const file = (name: string, source: string) => {
  const path = join(dir, name)
  writeFileSync(path, source)
  return path
}

/** 8x8 images whose first sample encodes a "drawing" number: frames with the same number repeat. */
const PATTERN = [1, 1, 2, 2, 2, 3, 4, 4, 5, 5, 5, 5]
const frames = framesOf(PATTERN.map((v) => image(8, 8, (x, y, c) => (x + y + c === 0 ? v : 10))))
const EXPECTED = [1, 3, 4, 7, 9, 10, 11]
const same = (a: TestFrame, b: TestFrame) => a.image.data[0] === b.image.data[0]

describe('custom detectors in code', () => {
  test('a compare function gets (previousKept, current)', async () => {
    const calls: Array<[number, number]> = []
    const out = await run(frames, detectDuplicates<TestFrame>({ detector: (previousKept, current) => (calls.push([previousKept.index, current.index]), same(previousKept, current)) }))
    expect(duplicates(out)).toEqual(EXPECTED)
    expect(out.find((f) => f.index === 4)?.duplicateOf).toBe(2)
    expect(calls.slice(0, 4)).toEqual([[0, 1], [0, 2], [2, 3], [2, 4]])
  })

  test('an async compare function: verdicts may come late, frames still leave in order', async () => {
    const detector = (a: TestFrame, b: TestFrame) => new Promise<boolean>((resolve) => setTimeout(() => resolve(same(a, b)), (b.index * 7) % 5))
    const out = await run(frames, detectDuplicates<TestFrame>({ detector }))
    expect(out.map((f) => f.index)).toEqual(frames.map((f) => f.index))
    expect(duplicates(out)).toEqual(EXPECTED)
  })

  test('an object with init, compare and close: init before the first compare, close at the end', async () => {
    const log: string[] = []
    const detector: CompareDetector<TestFrame> = {
      name: 'logger',
      async init() {
        await new Promise((r) => setTimeout(r, 10))
        log.push('init')
      },
      compare(a, b) {
        log.push(`compare ${b.index}`)
        return same(a, b)
      },
      close() {
        log.push('close')
      },
    }
    const out = await run(frames, detectDuplicates({ detector }))
    expect(duplicates(out)).toEqual(EXPECTED)
    expect(log[0]).toBe('init')
    expect(log[1]).toBe('compare 1')
    expect(log.at(-1)).toBe('close')
    expect(log.filter((l) => l === 'close')).toHaveLength(1)
  })

  test('an RxJS operator detector: one boolean per frame, may be asynchronous and batched', async () => {
    // Compares each frame with the one before it, in batches of 4, after a delay.
    const detector: OperatorDetector<TestFrame> = {
      name: 'batched',
      operator: (source) =>
        source.pipe(
          map((frame, i) => ({ frame, i })),
          bufferCount(4),
          concatMap((batch) => timer(5).pipe(mergeMap(() => from(batch)))),
          map(({ frame }, i) => i > 0 && PATTERN[i] === PATTERN[i - 1] && frame.index === i),
        ),
    }
    const out = await run(frames, detectDuplicates({ detector }))
    expect(duplicates(out)).toEqual(EXPECTED)
  })

  test('maxRun applies to custom detectors too', async () => {
    const out = await run(frames, detectDuplicates<TestFrame>({ detector: same, maxRun: 1 }))
    // 5 5 5 5 -> keep, dup, keep (forced), dup
    expect(duplicates(out)).toEqual([1, 3, 7, 9, 11])
    const operator = await run(frames, detectDuplicates<TestFrame>({ detector: { operator: (s) => s.pipe(map((f) => f.index > 0 && PATTERN[f.index] === PATTERN[f.index - 1])) }, maxRun: 1 }))
    expect(duplicates(operator)).toEqual([1, 3, 7, 9, 11])
  })

  test('a compare that throws: DetectError E_DETECTOR naming the detector and the frame', async () => {
    const boom = function boom(_a: DetectFrame, b: DetectFrame): boolean {
      if (b.index === 3) throw new Error('kaput')
      return false
    }
    const error = await expectDetectError(run(frames, detectDuplicates({ detector: boom })), 'E_DETECTOR')
    expect(error.message).toBe("Detector 'boom' threw in compare (frame 3): kaput")
    expect(error.detector).toBe('boom')
    expect((error as Error & { cause: Error }).cause.message).toBe('kaput')
  })

  test('a compare that rejects, init that throws, close that throws, non-boolean verdicts', async () => {
    await expectDetectError(run(frames, detectDuplicates({ detector: async () => Promise.reject(new Error('nope')) })), 'E_DETECTOR')
    const init = await expectDetectError(run(frames, detectDuplicates({ detector: { name: 'bad-init', init: () => { throw new Error('no model') }, compare: () => false } })), 'E_DETECTOR')
    expect(init.message).toBe("Detector 'bad-init' threw in init: no model")
    const close = await expectDetectError(run(frames, detectDuplicates({ detector: { name: 'bad-close', compare: () => false, close: async () => { throw new Error('leak') } } })), 'E_DETECTOR')
    expect(close.message).toBe("Detector 'bad-close' threw in close: leak")
    const verdict = await expectDetectError(run(frames, detectDuplicates({ detector: (() => 'yes') as unknown as () => boolean })), 'E_DETECTOR_INVALID')
    expect(verdict.message).toMatch(/answered 'yes' for frame 1: compare must return true or false/)
  })

  test('operator detectors that break the contract', async () => {
    const tooFew = await expectDetectError(run(frames, detectDuplicates({ detector: { name: 'short', operator: (s: Observable<DetectFrame>) => s.pipe(filter((f) => f.index !== 5), map(() => false)) } })), 'E_DETECTOR_INVALID')
    expect(tooFew.message).toMatch(/'short' completed without a verdict for frame/)
    const wrongType = await expectDetectError(run(frames, detectDuplicates({ detector: { name: 'numbers', operator: (s: Observable<DetectFrame>) => s.pipe(map(() => 1 as unknown as boolean)) } })), 'E_DETECTOR_INVALID')
    expect(wrongType.message).toMatch(/'numbers' emitted 1 for frame 0/)
    const failing = await expectDetectError(run(frames, detectDuplicates({ detector: { name: 'failing', operator: (s: Observable<DetectFrame>) => s.pipe(mergeMap((f) => (f.index === 2 ? of(true).pipe(delay(1), map(() => { throw new Error('model crashed') })) : of(false)))) } })), 'E_DETECTOR')
    expect(failing.message).toBe("Detector 'failing' failed: model crashed")
  })
})

describe('custom detectors from modules', () => {
  test('a module with a default export object: loaded by path through the options, init/close called', async () => {
    const logFile = join(dir, 'first-sample.log')
    const path = file(
      'first-sample.mjs',
      `import { appendFileSync } from 'node:fs'
const log = (line) => appendFileSync(${JSON.stringify(logFile)}, line + '\\n')
export default {
  name: 'first-sample',
  init() { log('init') },
  compare(previousKept, current) { return previousKept.image.data[0] === current.image.data[0] },
  close() { log('close') },
}
`,
    )
    const out = await run(frames, detectDuplicates({ detector: path }))
    expect(duplicates(out)).toEqual(EXPECTED)
    expect(readFileSync(logFile, 'utf8')).toBe('init\nclose\n')
  })

  test('relative paths resolve from the working directory; named exports and CommonJS work', async () => {
    file('named.mjs', 'export const name = "named"\nexport function compare(a, b) { return a.image.data[0] === b.image.data[0] }\n')
    file('plain.cjs', 'module.exports = function sameFirst(a, b) { return a.image.data[0] === b.image.data[0] }\n')
    file('operator.mjs', 'export function operator(frames) {\n  let previous\n  return { subscribe: (o) => frames.subscribe({ next(f) { const v = previous !== undefined && previous === f.image.data[0]; previous = f.image.data[0]; o.next(v) }, error: (e) => o.error(e), complete: () => o.complete() }) }\n}\n')
    for (const name of ['named.mjs', 'plain.cjs', 'operator.mjs']) {
      const detector = await loadDetector(`./${name}`, { cwd: dir })
      expect(detector.name).toContain(`./${name}`)
      expect(duplicates(await run(frames, detectDuplicates({ detector })))).toEqual(EXPECTED)
    }
  })

  test('a module that does not exist: E_DETECTOR_NOT_FOUND naming it', async () => {
    const error = await expectDetectError(run(frames, detectDuplicates({ detector: './no-such-detector.mjs' })), 'E_DETECTOR_NOT_FOUND')
    expect(error.message).toMatch(/^Detector module '.\/no-such-detector.mjs' not found: there is no file .*no-such-detector.mjs$/)
    expect(error.detector).toBe('./no-such-detector.mjs')
    await expectDetectError(loadDetector('no-such-detector-package-xyz'), 'E_DETECTOR_NOT_FOUND')
  })

  test('a module without the interface: E_DETECTOR_INVALID listing what it exports', async () => {
    const path = file('nothing.mjs', 'export const threshold = 3\nexport default { compareFrames() {} }\n')
    const error = await expectDetectError(run(frames, detectDuplicates({ detector: path })), 'E_DETECTOR_INVALID')
    expect(error.message).toContain(`Detector module '${path}' does not export a detector`)
    expect(error.message).toContain('it exports default, threshold')
  })

  test('a module that throws while loading, or in compare: E_DETECTOR naming it', async () => {
    const broken = file('broken.mjs', 'throw new Error("missing weights")\n')
    const load = await expectDetectError(run(frames, detectDuplicates({ detector: broken })), 'E_DETECTOR')
    expect(load.message).toBe(`Detector module '${broken}' failed to load: missing weights`)
    const throwing = file('throwing.mjs', 'export default function explode(a, b) { if (b.index === 2) throw new Error("bad frame"); return false }\n')
    const compare = await expectDetectError(run(frames, detectDuplicates({ detector: throwing })), 'E_DETECTOR')
    expect(compare.message).toBe(`Detector 'explode (${throwing})' threw in compare (frame 2): bad frame`)
    expect(compare).toBeInstanceOf(DetectError)
  })
})
