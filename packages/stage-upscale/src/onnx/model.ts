/**
 * Encodes an ONNX ModelProto (onnx.proto field numbers) from plain objects.
 * Covers what our generated models use: float32/float16/uint8/uint16 inputs and outputs with
 * symbolic dims, float32/float16/int64/uint8/uint16 initializers stored as raw_data,
 * int/ints/float/string attributes and metadata_props.
 */
import { ProtoWriter } from './protobuf'

/** IR version 10 is what opset 21 pairs with (ONNX 1.16); onnxruntime accepts it. */
const IR_VERSION = 10

const TENSOR_FLOAT = 1
const TENSOR_UINT8 = 2
const TENSOR_UINT16 = 4
const TENSOR_INT64 = 7
const TENSOR_FLOAT16 = 10

/** Element types a graph input, output or intermediate value may declare. */
export type OnnxElementType = 'float32' | 'float16' | 'uint8' | 'uint16'

const ELEMENT_TYPES: Record<OnnxElementType, number> = {
  float32: TENSOR_FLOAT,
  float16: TENSOR_FLOAT16,
  uint8: TENSOR_UINT8,
  uint16: TENSOR_UINT16,
}

/** The `to` attribute of a Cast node. */
export function onnxElementType(type: OnnxElementType): number {
  return ELEMENT_TYPES[type]
}

const ATTRIBUTE_FLOAT = 1
const ATTRIBUTE_INT = 2
const ATTRIBUTE_STRING = 3
const ATTRIBUTE_INTS = 7

/** `number` is an INT attribute, `number[]` INTS, `string` STRING, `{ float }` FLOAT. */
export type OnnxAttribute = number | number[] | string | { float: number }

export interface OnnxNode {
  opType: string
  inputs: string[]
  outputs: string[]
  attributes?: Record<string, OnnxAttribute>
}

/**
 * A constant tensor: float32 for weights, int64 for shape-like operands, uint8/uint16 for zero points.
 * A Uint16Array with `elementType: 'float16'` holds float16 bits.
 */
export interface OnnxInitializer {
  name: string
  dims: number[]
  data: Float32Array | BigInt64Array | Uint8Array | Uint16Array
  elementType?: 'float16'
}

/** A graph input or output (float32 unless said otherwise); string dims are symbolic (e.g. 'height'). */
export interface OnnxValueInfo {
  name: string
  dims: Array<number | string>
  elementType?: OnnxElementType
}

export interface OnnxGraph {
  name: string
  nodes: OnnxNode[]
  initializers: OnnxInitializer[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
  /** Shapes of intermediate tensors. */
  valueInfo?: OnnxValueInfo[]
}

export interface OnnxModel {
  producerName: string
  /** Version of the default ("ai.onnx") operator set. */
  opsetVersion: number
  graph: OnnxGraph
  /** metadata_props: free key/value strings stored with the model. */
  metadata?: Record<string, string>
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const writer = new ProtoWriter()
  writer.int(1, IR_VERSION)
  writer.string(2, model.producerName)
  writer.message(7, (graph) => writeGraph(graph, model.graph))
  writer.message(8, (opset) => opset.string(1, '').int(2, model.opsetVersion))
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    writer.message(14, (entry) => entry.string(1, key).string(2, value))
  }
  return writer.finish()
}

function writeGraph(writer: ProtoWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) writer.message(1, (w) => writeNode(w, node))
  writer.string(2, graph.name)
  for (const tensor of graph.initializers) writer.message(5, (w) => writeTensor(w, tensor))
  for (const input of graph.inputs) writer.message(11, (w) => writeValueInfo(w, input))
  for (const output of graph.outputs) writer.message(12, (w) => writeValueInfo(w, output))
  for (const info of graph.valueInfo ?? []) writer.message(13, (w) => writeValueInfo(w, info))
}

function writeNode(writer: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) writer.string(1, input)
  for (const output of node.outputs) writer.string(2, output)
  writer.string(4, node.opType)
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    writer.message(5, (w) => writeAttribute(w, name, value))
  }
}

function writeAttribute(writer: ProtoWriter, name: string, value: OnnxAttribute): void {
  writer.string(1, name)
  if (typeof value === 'string') {
    writer.string(4, value).int(20, ATTRIBUTE_STRING)
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    writer.float(2, value.float).int(20, ATTRIBUTE_FLOAT)
  } else if (typeof value === 'number') {
    writer.int(3, value).int(20, ATTRIBUTE_INT)
  } else {
    for (const item of value) writer.int(8, item)
    writer.int(20, ATTRIBUTE_INTS)
  }
}

function writeTensor(writer: ProtoWriter, tensor: OnnxInitializer): void {
  const count = tensor.dims.reduce((product, dim) => product * dim, 1)
  if (count !== tensor.data.length) {
    throw new RangeError(`Initializer '${tensor.name}' has dims [${tensor.dims}] but ${tensor.data.length} values`)
  }
  for (const dim of tensor.dims) writer.int(1, dim)
  writer.int(2, tensor.elementType === 'float16' ? TENSOR_FLOAT16 : initializerType(tensor.data))
  writer.string(8, tensor.name)
  writer.bytes(9, littleEndianBytes(tensor.data))
}

function initializerType(data: OnnxInitializer['data']): number {
  if (data instanceof Float32Array) return TENSOR_FLOAT
  if (data instanceof BigInt64Array) return TENSOR_INT64
  return data instanceof Uint8Array ? TENSOR_UINT8 : TENSOR_UINT16
}

/** raw_data is little-endian by definition, whatever the host's byte order. */
function littleEndianBytes(data: OnnxInitializer['data']): Uint8Array {
  if (data instanceof Uint8Array) return data.slice()
  const bytes = new Uint8Array(data.byteLength)
  const view = new DataView(bytes.buffer)
  if (data instanceof Float32Array) data.forEach((value, i) => view.setFloat32(i * 4, value, true))
  else if (data instanceof BigInt64Array) data.forEach((value, i) => view.setBigInt64(i * 8, value, true))
  else data.forEach((value, i) => view.setUint16(i * 2, value, true))
  return bytes
}

/** A ValueInfoProto on its own, for graphs assembled from parts (see ./submodel.ts). */
export function encodeValueInfo(info: OnnxValueInfo): Uint8Array {
  const writer = new ProtoWriter()
  writeValueInfo(writer, info)
  return writer.finish()
}

function writeValueInfo(writer: ProtoWriter, info: OnnxValueInfo): void {
  writer.string(1, info.name)
  writer.message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.int(1, ELEMENT_TYPES[info.elementType ?? 'float32']).message(2, (shape) => {
        for (const dim of info.dims) {
          shape.message(1, (d) => (typeof dim === 'string' ? d.string(2, dim) : d.int(1, dim)))
        }
      }),
    ),
  )
}
