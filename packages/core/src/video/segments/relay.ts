/**
 * Runs `start` on each item in order as a relay: an item starts once the one before it has called
 * its `handOver` (or ended), and while fewer than `concurrency` are in flight. Resolves when all that
 * started have ended; none starts once `stopped()` is true. `start` must not reject.
 *
 * For segments, `handOver` is "the decoder delivered the last frame": one segment at a time decodes,
 * and the next overlaps only the previous one's drain.
 */
export async function relay<T>(items: readonly T[], concurrency: number, start: (item: T, handOver: () => void) => Promise<void>, stopped: () => boolean): Promise<void> {
  const inFlight = new Set<Promise<void>>()
  for (const item of items) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    if (stopped()) break
    let handOver = () => {}
    const handedOver = new Promise<void>((resolve) => (handOver = resolve))
    const running: Promise<void> = start(item, handOver).finally(() => {
      handOver()
      inFlight.delete(running)
    })
    inFlight.add(running)
    await handedOver
  }
  await Promise.all(inFlight)
}
