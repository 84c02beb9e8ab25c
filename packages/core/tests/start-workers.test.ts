import { CoreError } from '../src/errors'
import { startWorkers } from '../src/start-workers'

const stopped = () => new CoreError('E_ABORTED', 'upscale', 'Stopped while the workers started')

test('a stop while the workers load their model is E_ABORTED at once; they are closed once started', async () => {
  const ports = () => process.getActiveResourcesInfo().filter((resource) => resource === 'MessagePort').length
  const before = ports()
  const stop = new AbortController()
  const starting = startWorkers({ model: 'anime4k-l', workers: 2, threads: 1 }, stop.signal, stopped)
  setTimeout(() => stop.abort(), 10)
  await expect(starting).rejects.toMatchObject({ code: 'E_ABORTED', message: 'Stopped while the workers started' })
  // The workers finish loading in the background, then end: nothing is left running.
  expect(ports()).toBeGreaterThan(before)
  for (let waited = 0; ports() > before && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  expect(ports()).toBe(before)
}, 30_000)

test('without a stop, the started pool is returned', async () => {
  const upscaler = await startWorkers({ model: 'anime4k-s', workers: 1 }, new AbortController().signal, stopped)
  expect(upscaler.workers).toBe(1)
  await upscaler.close()
})
