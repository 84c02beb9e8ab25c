import { availableParallelism } from 'node:os'
import { UpscaleEngine, UpscaleError, activeModelCalls, createUpscaler } from '../src'

describe('limits that keep a stop fast', () => {
  test('worker and thread counts far beyond the machine are refused, naming the limit', async () => {
    const cores = availableParallelism()
    const error = await createUpscaler({ model: 'anime4k-s', threads: 1000 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpscaleError)
    expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT', option: 'threads', value: 1000, expected: `workers × threads ≤ ${4 * cores}` })
    expect((error as Error).message).toMatch(new RegExp(`^Expected at most ${4 * cores} model threads in all \\(4 per core on this ${cores}-core machine\\) but workers \\d+ × threads 1000 make \\d+`))
    await expect(createUpscaler({ model: 'anime4k-s', workers: 4 * cores + 1, threads: 1 })).rejects.toMatchObject({ option: 'workers' })
  })

  test('a call budget tiles big images so that no single model call runs long; the result is the same', async () => {
    const width = 300
    const height = 180
    const data = new Uint8Array(width * height * 3)
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 7) * 11) % 256
    const image = { data, width, height, channels: 3 }
    const whole = await UpscaleEngine.create({ model: 'anime4k-s', threads: 1 })
    const tight = await UpscaleEngine.create({ model: 'anime4k-s', threads: 1, callBudgetMs: 1 })
    try {
      expect(whole.tileSize).toBeGreaterThan(width)
      expect(tight.tileSize).toBeLessThan(height)
      const [a, b] = [await whole.upscale(image), await tight.upscale(image)]
      expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true)
    } finally {
      await Promise.all([whole.close(), tight.close()])
    }
  })

  test('closing a pool does not wait for the call in progress: the image fails at once, the call ends in the background', async () => {
    // 1920x1080 through anime4k-l as one window: a single call of a second or more on this machine.
    const upscaler = await createUpscaler({ model: 'anime4k-l', workers: 1, threads: 1, tile: 2048, callBudgetMs: 60_000, memoryBudget: 8 * 2 ** 30 })
    const image = { data: new Uint8Array(1920 * 1080 * 3).fill(90), width: 1920, height: 1080, channels: 3 }
    const result = upscaler.upscale(image).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(activeModelCalls()).toBe(1)
    const closing = Date.now()
    await upscaler.close()
    expect(await result).toMatchObject({ code: 'E_CLOSED' })
    // Closed within moments, while the call still runs; it is counted until it ends.
    expect(Date.now() - closing).toBeLessThan(100)
    expect(activeModelCalls()).toBe(1)
    while (activeModelCalls() > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  }, 60_000)
})
