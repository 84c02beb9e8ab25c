/**
 * ncnn's text graph format (`.param`): a magic line (7767517), "layer_count blob_count", then one
 * layer per line: type, name, input count, output count, input blob names, output blob names and
 * `key=value` parameters. Keys at or below -23300 are arrays (`-23310=2,0.1,0.2`: key 10, 2 values);
 * plain values holding '.' or 'e' are floats (as ncnn's ParamDict decides).
 */
import { UpscaleError } from '../errors'

export const NCNN_MAGIC = 7767517

/** A parameter value: an integer or float, an array of them, or a string. */
export type NcnnParamValue = number | number[] | string

export interface NcnnLayer {
  type: string
  name: string
  /** The .param file and its 1-based line, for error messages. */
  file: string
  line: number
  inputs: string[]
  outputs: string[]
  params: Map<number, NcnnParamValue>
}

export interface NcnnParam {
  file: string
  layers: NcnnLayer[]
}

const ARRAY_KEY_BASE = -23300

export function paramError(file: string, line: number, message: string): UpscaleError {
  return new UpscaleError('E_MODEL_INVALID', `${file}, line ${line}: ${message}`)
}

/** True when the bytes start with ncnn's magic number as a binary int (the `.param.bin` format). */
function isBinaryParam(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true) === NCNN_MAGIC
}

function parseNumber(text: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) return NaN
  return /[.eE]/.test(text) ? value : Math.trunc(value)
}

function parseParam(token: string, file: string, line: number): [number, NcnnParamValue] {
  const match = /^(-?\d+)=(.*)$/.exec(token)
  if (!match) throw paramError(file, line, `expected key=value but found '${token}'`)
  let key = Number(match[1])
  const text = match[2]
  if (key <= ARRAY_KEY_BASE) {
    key = -key + ARRAY_KEY_BASE
    const [count, ...items] = text.split(',')
    const values = items.map(parseNumber)
    if (Number(count) !== values.length || values.some(Number.isNaN)) {
      throw paramError(file, line, `array parameter ${match[1]} should hold ${count} numbers but holds '${items.join(',')}'`)
    }
    return [key, values]
  }
  if (text.includes(',')) return [key, text.split(',').map(parseNumber)]
  const value = parseNumber(text)
  return [key, Number.isNaN(value) ? text.replace(/^"|"$/g, '') : value]
}

function parseLayer(text: string, file: string, line: number): NcnnLayer {
  const tokens = text.trim().split(/\s+/)
  const [type, name, inputText, outputText] = tokens
  const inputCount = Number(inputText)
  const outputCount = Number(outputText)
  if (tokens.length < 4 || !Number.isInteger(inputCount) || !Number.isInteger(outputCount) || inputCount < 0 || outputCount < 0) {
    throw paramError(file, line, `expected "type name inputs outputs blobs… key=value…" but found '${text.trim()}'`)
  }
  const blobs = tokens.slice(4, 4 + inputCount + outputCount)
  if (blobs.length !== inputCount + outputCount || blobs.some((blob) => blob.includes('='))) {
    throw paramError(file, line, `layer ${name} declares ${inputCount} inputs and ${outputCount} outputs but names ${blobs.filter((b) => !b.includes('=')).length} blobs`)
  }
  const params = new Map(tokens.slice(4 + inputCount + outputCount).map((token) => parseParam(token, file, line)))
  return { type, name, file, line, inputs: blobs.slice(0, inputCount), outputs: blobs.slice(inputCount), params }
}

/** Parses a `.param` file's bytes; `file` names it in errors. */
export function parseNcnnParam(bytes: Uint8Array, file: string): NcnnParam {
  if (isBinaryParam(bytes)) {
    throw new UpscaleError(
      'E_MODEL_INVALID',
      `${file} is an ncnn binary param file (.param.bin); only the text .param format can be imported (ncnn's ncnn2mem tool writes the binary one from it)`,
    )
  }
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/)
  const magic = lines[0]?.trim()
  if (magic !== String(NCNN_MAGIC)) {
    throw new UpscaleError('E_MODEL_INVALID', `${file} is not an ncnn .param file: its first line should be the magic number ${NCNN_MAGIC} but is '${(magic ?? '').slice(0, 40)}'`)
  }
  const counts = (lines[1] ?? '').trim().split(/\s+/).map(Number)
  if (counts.length !== 2 || !counts.every((n) => Number.isInteger(n) && n > 0)) throw paramError(file, 2, `expected "layer_count blob_count" but found '${lines[1] ?? ''}'`)
  const layers: NcnnLayer[] = []
  for (let i = 2; i < lines.length; i++) {
    if (lines[i].trim() !== '') layers.push(parseLayer(lines[i], file, i + 1))
  }
  if (layers.length !== counts[0]) throw paramError(file, 2, `the header announces ${counts[0]} layers but the file has ${layers.length}`)
  return { file, layers }
}

/** An error about one layer: the file, the line, the layer's type and name, then `message`. */
export function layerError(layer: NcnnLayer, message: string, code: 'E_MODEL_INVALID' | 'E_MODEL_UNSUPPORTED' = 'E_MODEL_INVALID'): UpscaleError {
  return new UpscaleError(code, `${layer.file}, line ${layer.line}: ${layer.type} layer '${layer.name}': ${message}`)
}

/** Reads parameter `key` of a layer as an integer, with a default. */
export function intParam(layer: NcnnLayer, key: number, fallback: number): number {
  return Math.trunc(floatParam(layer, key, fallback))
}

/** Reads parameter `key` as a float, with a default. */
export function floatParam(layer: NcnnLayer, key: number, fallback: number): number {
  const value = layer.params.get(key)
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw layerError(layer, `parameter ${key} should be a number but is ${JSON.stringify(value)}`)
  return value
}

/** Reads parameter `key` as an array of numbers (a single number counts as a one-element array). */
export function arrayParam(layer: NcnnLayer, key: number): number[] {
  const value = layer.params.get(key)
  if (value === undefined) return []
  if (typeof value === 'number') return [value]
  if (typeof value === 'string') throw layerError(layer, `parameter ${key} should be numbers but is '${value}'`)
  return value
}
