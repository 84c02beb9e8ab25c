/**
 * Reading and cutting encoded ONNX models without decoding their weights: the metadata_props of a
 * model, and the sub-model that computes some tensors from others (as onnx.utils.extract_model does).
 */
import { encodeValueInfo, type OnnxValueInfo } from './model'
import { ProtoWriter } from './protobuf'
import { fieldText, joinFields, readFields, type ProtoField } from './reader'

const MODEL_GRAPH = 7
const MODEL_METADATA = 14
const GRAPH_NODE = 1
const GRAPH_INITIALIZER = 5
const GRAPH_INPUT = 11
const GRAPH_OUTPUT = 12
const GRAPH_VALUE_INFO = 13
const NODE_INPUT = 1
const NODE_OUTPUT = 2
const TENSOR_NAME = 8
const VALUE_INFO_NAME = 1

/** The model's metadata_props as a plain object. Throws a RangeError when the bytes are not protobuf. */
export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const field of readFields(model)) {
    if (field.field !== MODEL_METADATA || field.wireType !== 2) continue
    const entry = readFields(field.bytes)
    const key = entry.find((f) => f.field === 1)
    const value = entry.find((f) => f.field === 2)
    if (key) metadata[fieldText(key)] = value ? fieldText(value) : ''
  }
  return metadata
}

/** A node of an encoded graph: its tensors' names, and its bytes to copy it unchanged. */
export interface GraphNode {
  raw: Uint8Array
  inputs: string[]
  outputs: string[]
}

function namesOf(message: Uint8Array, field: number): string[] {
  return readFields(message)
    .filter((f) => f.field === field)
    .map(fieldText)
}

function nameOf(message: Uint8Array, field: number): string {
  return namesOf(message, field)[0] ?? ''
}

function graphFieldsOf(model: Uint8Array): { modelFields: ProtoField[]; graphField: ProtoField; graphFields: ProtoField[] } {
  const modelFields = readFields(model)
  const graphField = modelFields.find((f) => f.field === MODEL_GRAPH)
  if (!graphField) throw new RangeError('The model has no graph')
  return { modelFields, graphField, graphFields: readFields(graphField.bytes) }
}

/** The graph of an encoded model: its nodes in order, its initializers' names, and the encoded ValueInfoProto of every tensor that has one. */
export interface EncodedGraph {
  nodes: GraphNode[]
  initializers: Set<string>
  valueInfo: Map<string, Uint8Array>
}

export function readGraph(model: Uint8Array): EncodedGraph {
  const { graphFields } = graphFieldsOf(model)
  const nodes = graphFields
    .filter((f) => f.field === GRAPH_NODE)
    .map((f) => ({ raw: f.raw, inputs: namesOf(f.bytes, NODE_INPUT), outputs: namesOf(f.bytes, NODE_OUTPUT) }))
  const initializers = new Set(graphFields.filter((f) => f.field === GRAPH_INITIALIZER).map((f) => nameOf(f.bytes, TENSOR_NAME)))
  const valueInfo = new Map(
    graphFields.filter((f) => [GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO].includes(f.field)).map((f) => [nameOf(f.bytes, VALUE_INFO_NAME), f.bytes] as const),
  )
  return { nodes, initializers, valueInfo }
}

/** A tensor of the cut: its name (its ValueInfo then comes from the graph, or it gets an unknown shape) or a full ValueInfo. */
export type CutTensor = string | OnnxValueInfo

function encodeCutTensor(tensor: CutTensor, graph: EncodedGraph): Uint8Array {
  if (typeof tensor !== 'string') return encodeValueInfo(tensor)
  return graph.valueInfo.get(tensor) ?? encodeValueInfo({ name: tensor, dims: ['n', 'c', 'h', 'w'].map((d) => `${tensor}:${d}`) })
}

function cutName(tensor: CutTensor): string {
  return typeof tensor === 'string' ? tensor : tensor.name
}

/** Indices (in graph order) of the nodes that compute `outputs` from `inputs` and the initializers; throws when something else is needed. */
export function neededNodes(nodes: GraphNode[], inputs: ReadonlySet<string>, outputs: string[], initializers: ReadonlySet<string>): number[] {
  const needed = new Set(outputs)
  const kept: number[] = []
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i].outputs.some((name) => needed.has(name) && !inputs.has(name))) continue
    kept.push(i)
    for (const name of nodes[i].inputs) if (name && !inputs.has(name)) needed.add(name)
  }
  const produced = new Set([...kept.flatMap((i) => nodes[i].outputs), ...inputs, ...initializers])
  const missing = [...needed].filter((name) => !produced.has(name))
  if (missing.length > 0) throw new RangeError(`Cannot compute ${outputs.join(', ')}: it needs ${missing.join(', ')}, which is not an input of the cut`)
  return kept.reverse()
}

/**
 * The sub-model of `model` whose graph inputs are `inputs` (tensors of the original graph: its own
 * inputs or intermediate values) and whose outputs are `outputs`, with only the nodes and
 * initializers they need. Everything else in the model (opsets, metadata) is kept as it is.
 */
export function extractSubModel(model: Uint8Array, inputs: CutTensor[], outputs: CutTensor[]): Uint8Array {
  const { modelFields, graphField, graphFields } = graphFieldsOf(model)
  const graph = readGraph(model)
  const inputNames = new Set(inputs.map(cutName))
  const outputNames = outputs.map(cutName)
  const kept = neededNodes(graph.nodes, inputNames, outputNames, graph.initializers).map((i) => graph.nodes[i])
  const used = new Set([...kept.flatMap((node) => [...node.inputs, ...node.outputs]), ...outputNames])
  const parts: Uint8Array[] = kept.map((node) => node.raw)
  for (const field of graphFields) {
    if (field.field === GRAPH_INITIALIZER || field.field === GRAPH_VALUE_INFO) {
      const name = nameOf(field.bytes, field.field === GRAPH_INITIALIZER ? TENSOR_NAME : VALUE_INFO_NAME)
      if (used.has(name) && !inputNames.has(name) && !outputNames.includes(name)) parts.push(field.raw)
    } else if (![GRAPH_NODE, GRAPH_INPUT, GRAPH_OUTPUT].includes(field.field)) parts.push(field.raw)
  }
  const ends = new ProtoWriter()
  for (const input of inputs) ends.bytes(GRAPH_INPUT, encodeCutTensor(input, graph))
  for (const output of outputs) ends.bytes(GRAPH_OUTPUT, encodeCutTensor(output, graph))
  const encoded = joinFields([...parts, ends.finish()])
  return joinFields(modelFields.map((f) => (f === graphField ? new ProtoWriter().bytes(MODEL_GRAPH, encoded).finish() : f.raw)))
}
