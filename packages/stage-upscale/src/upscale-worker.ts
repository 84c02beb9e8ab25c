// Worker thread entry: owns one UpscaleEngine (one onnxruntime session) and serves upscale requests.
// It is closed by a message, never terminated mid-call: onnxruntime aborts the whole process when
// its thread is torn down inside a native call.
import { parentPort, workerData } from 'node:worker_threads'
import { UpscaleEngine, type EngineOptions } from './engine'
import { serializeError, type WorkerReply, type WorkerRequest } from './worker-protocol'

const port = parentPort!
const options = workerData as EngineOptions
const engine = UpscaleEngine.create({ ...options, onWarning: (message) => port.postMessage({ type: 'warning', message } satisfies WorkerReply) })
let inFlight: Promise<unknown> = Promise.resolve()

engine.then(
  (ready) => port.postMessage({ type: 'ready', info: ready.info } satisfies WorkerReply),
  (error) => port.postMessage({ type: 'init-failed', error: serializeError(error) } satisfies WorkerReply),
)

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'close') {
    // Let the current model call finish (the rest of its image is dropped), release the session,
    // then let the thread end on its own.
    void engine.then((ready) => ready.stop(), () => undefined)
    void inFlight
      .then(() => engine)
      .then((ready) => ready.close())
      .catch(() => undefined)
      .finally(() => port.close())
    return
  }
  inFlight = engine
    .then((ready) => ready.upscaleTimed(request.image, request.target, request.yuv420))
    .then(
      ({ image, timing }) => port.postMessage({ type: 'result', id: request.id, image, timing } satisfies WorkerReply, [image.data.buffer as ArrayBuffer]),
      (error) => port.postMessage({ type: 'failed', id: request.id, error: serializeError(error) } satisfies WorkerReply),
    )
})
