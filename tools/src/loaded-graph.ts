/**
 * What onnxruntime runs once it has loaded a model: the graph after its optimizations (constant
 * folding, fusions, layout changes), saved with `optimizedModelFilePath` and reduced to a digest
 * that ignores the names it gives values. Two models with the same digest run the same kernels on
 * the same constants, so they give the same output at the same speed.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as ort from 'onnxruntime-node'

interface Field {
  field: number
  int: number
  bytes: Buffer
}

/** The top-level fields of a protobuf message (varints and length-delimited ones; fixed-size ones skipped). */
function protobufFields(message: Buffer): Field[] {
  const fields: Field[] = []
  let at = 0
  const varint = () => {
    let [value, factor] = [0, 1]
    for (let byte = 128; byte >= 128; factor *= 128) {
      byte = message[at++]
      value += (byte & 127) * factor
    }
    return value
  }
  while (at < message.length) {
    const tag = varint()
    const [field, wireType] = [Math.floor(tag / 8), tag % 8]
    if (wireType === 0) fields.push({ field, int: varint(), bytes: Buffer.alloc(0) })
    else if (wireType === 2) {
      const length = varint()
      fields.push({ field, int: 0, bytes: message.subarray(at, at + length) })
      at += length
    } else at += wireType === 1 ? 8 : 4
  }
  return fields
}

const digest = (...parts: Buffer[]) => createHash('sha1').update(Buffer.concat(parts)).digest('hex')

/** ModelProto.graph (7) → GraphProto.node (1) and .initializer (5); a node's inputs (1), op_type (4), attributes (5); a tensor's name (8). */
function graphDigest(model: Buffer): string {
  const graph = protobufFields(protobufFields(model).find((f) => f.field === 7)!.bytes)
  const constants = new Map<string, string>()
  for (const initializer of graph.filter((f) => f.field === 5)) {
    const fields = protobufFields(initializer.bytes)
    const name = fields.find((f) => f.field === 8)!.bytes.toString()
    constants.set(name, digest(...fields.filter((f) => f.field !== 8).map((f) => Buffer.concat([Buffer.from(`${f.field}:${f.int}:`), f.bytes]))))
  }
  const nodes = graph
    .filter((f) => f.field === 1)
    .map((node) => {
      const fields = protobufFields(node.bytes)
      const op = fields.find((f) => f.field === 4)!.bytes.toString()
      const inputs = fields.filter((f) => f.field === 1).map((f) => constants.get(f.bytes.toString()) ?? 'value')
      const attributes = fields.filter((f) => f.field === 5).map((f) => digest(f.bytes))
      return `${op}(${inputs.join(',')})[${attributes.join(',')}]`
    })
  return digest(Buffer.from(nodes.sort().join('\n')))
}

/** The digest of the graph onnxruntime runs for `onnx` (all optimizations, one thread, the CPU). */
export async function loadedGraphDigest(onnx: Uint8Array): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loaded-graph-'))
  try {
    const optimizedModelFilePath = path.join(dir, 'optimized.onnx')
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, graphOptimizationLevel: 'all', optimizedModelFilePath, logSeverityLevel: 3 })
    await session.release()
    return graphDigest(readFileSync(optimizedModelFilePath))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
