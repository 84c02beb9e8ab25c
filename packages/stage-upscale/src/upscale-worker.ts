// Worker thread entry: owns one UpscaleEngine (one onnxruntime session) and serves upscale requests.
import { parentPort, workerData } from 'node:worker_threads'
import { UpscaleEngine, type EngineOptions } from './engine'
import { serializeError, type WorkerReply, type WorkerRequest } from './worker-protocol'

const port = parentPort!
const options = workerData as EngineOptions

UpscaleEngine.create({ ...options, onWarning: (message) => port.postMessage({ type: 'warning', message } satisfies WorkerReply) }).then(
  (engine) => {
    port.postMessage({ type: 'ready', info: engine.info } satisfies WorkerReply)
    port.on('message', (request: WorkerRequest) => {
      if (request.type === 'close') {
        engine.close().finally(() => port.close())
        return
      }
      engine.upscaleTimed(request.image, request.target).then(
        ({ image, timing }) => port.postMessage({ type: 'result', id: request.id, image, timing } satisfies WorkerReply, [image.data.buffer as ArrayBuffer]),
        (error) => port.postMessage({ type: 'failed', id: request.id, error: serializeError(error) } satisfies WorkerReply),
      )
    })
  },
  (error) => port.postMessage({ type: 'init-failed', error: serializeError(error) } satisfies WorkerReply),
)
