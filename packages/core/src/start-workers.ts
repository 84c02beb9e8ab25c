import { createUpscaler, type Upscaler, type UpscalerOptions } from '@anime-upscaler/stage-upscale'

/**
 * The started workers, or `stopped()` as soon as `signal` aborts: loading a model in a worker
 * cannot be interrupted (native code), so a stop does not wait for it; the workers are closed
 * once they have started, in the background.
 */
export function startWorkers(options: UpscalerOptions, signal: AbortSignal | undefined, stopped: () => Error): Promise<Upscaler> {
  const starting = createUpscaler(options)
  if (!signal) return starting
  return new Promise<Upscaler>((resolve, reject) => {
    const onAbort = () => {
      reject(stopped())
      void starting.then((upscaler) => upscaler.close(), () => undefined)
    }
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    starting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
