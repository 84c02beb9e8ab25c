// The pipeline's backpressure (CreditGate), on its own: the credits the source is granted, marble by marble.
import { of } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { CreditGate } from '../src/video/credit-gate'

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

test('the source gets `capacity` credits at once, then one per frame the sink takes', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const gate = new CreditGate(3)
    cold('--a-b|').subscribe(() => gate.release())
    expectObservable(gate.demand).toBe('c-o-o', { c: 3, o: 1 })
  })
})

test('a pause holds the released credits; resuming gives them back at once', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const gate = new CreditGate(4)
    cold('-p-r-r--g|').subscribe((step) => (step === 'p' ? gate.setPaused(true) : step === 'g' ? gate.setPaused(false) : gate.release()))
    expectObservable(gate.demand).toBe('c-------h', { c: 4, h: 2 })
  })
})

test('a gate paused before the source starts grants nothing until it resumes, then its whole capacity', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const gate = new CreditGate(16)
    gate.setPaused(true)
    cold('---g|').subscribe(() => gate.setPaused(false))
    expectObservable(gate.demand).toBe('---c', { c: 16 })
  })
})

test('a source that emits more than it was granted is an error', () => {
  const gate = new CreditGate(2)
  const seen: number[] = []
  let failure: unknown
  of(1, 2, 3)
    .pipe(gate.admit())
    .subscribe({ next: (n) => seen.push(n), error: (error: unknown) => (failure = error) })
  expect(seen).toEqual([1, 2])
  expect(String(failure)).toContain('The source emitted more frames than the 2 it was granted')
})
