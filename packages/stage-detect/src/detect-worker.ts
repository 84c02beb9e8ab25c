// Worker thread entry: runs one built-in detector over the frames of one stream, in order.
import { parentPort, workerData } from 'node:worker_threads'
import { DetectEngine } from './engine'
import type { WorkerData, WorkerReply, WorkerRequest } from './worker-protocol'

const port = parentPort!
const engine = new DetectEngine(workerData as WorkerData)

port.on('message', (request: WorkerRequest) => {
  const { seq, buffer, width, height, length } = request
  let reply: WorkerReply
  try {
    const data = request.bytesPerSample === 1 ? new Uint8Array(buffer, 0, length) : new Uint16Array(buffer, 0, length)
    reply = { type: 'verdict', seq, verdict: engine.next(data, width, height), buffer }
  } catch (error) {
    reply = { type: 'failed', seq, message: error instanceof Error ? error.message : String(error), buffer }
  }
  // The buffer goes back to the main thread's pool for the next frame.
  port.postMessage(reply, [buffer])
})
