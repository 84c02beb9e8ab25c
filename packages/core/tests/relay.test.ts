import { relay } from '../src/video/segments/relay'

/** A controllable item: it records its start, and the test hands over or ends it. */
interface Runner {
  handOver(): void
  end(): void
}

function harness() {
  const log: string[] = []
  const runners = new Map<number, Runner>()
  const start = (item: number, handOver: () => void) =>
    new Promise<void>((resolve) => {
      log.push(`start ${item}`)
      runners.set(item, { handOver, end: () => (log.push(`end ${item}`), resolve()) })
    })
  const tick = () => new Promise((resolve) => setImmediate(resolve))
  return { log, runners, start, tick }
}

test('the next item starts when the one before hands over, not when it ends', async () => {
  const { log, runners, start, tick } = harness()
  const done = relay([0, 1, 2], 2, start, () => false)
  await tick()
  expect(log).toEqual(['start 0'])
  runners.get(0)!.handOver()
  await tick()
  expect(log).toEqual(['start 0', 'start 1'])
  // Two in flight: item 2 waits for one of them to end, even after item 1 hands over.
  runners.get(1)!.handOver()
  await tick()
  expect(log).toEqual(['start 0', 'start 1'])
  runners.get(0)!.end()
  await tick()
  expect(log).toEqual(['start 0', 'start 1', 'end 0', 'start 2'])
  runners.get(1)!.end()
  runners.get(2)!.end()
  await done
  expect(log.slice(-2)).toEqual(['end 1', 'end 2'])
})

test('an item that ends without handing over (a failure) lets the next one start', async () => {
  const { log, runners, start, tick } = harness()
  const done = relay([0, 1], 2, start, () => false)
  await tick()
  runners.get(0)!.end()
  await tick()
  expect(log).toEqual(['start 0', 'end 0', 'start 1'])
  runners.get(1)!.end()
  await done
})

test('nothing starts once stopped; those in flight are waited for', async () => {
  const { log, runners, start, tick } = harness()
  let stopped = false
  const done = relay([0, 1, 2], 1, start, () => stopped)
  await tick()
  stopped = true
  runners.get(0)!.handOver()
  runners.get(0)!.end()
  await done
  expect(log).toEqual(['start 0', 'end 0'])
})
