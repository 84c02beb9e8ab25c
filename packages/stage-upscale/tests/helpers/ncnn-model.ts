/** Builds small ncnn models (.param text and .bin bytes) in memory for tests. */
import * as ort from 'onnxruntime-node'
import { fromFloat16Bits, toFloat16Bits } from '../../src/float16'
import { convertNcnnModel, type ConvertedModel } from '../../src/ncnn/convert'
import type { FeatureMap } from './ncnn-reference'

export class NcnnModelBuilder {
  private readonly lines: string[] = []
  private readonly arrays: Uint8Array[] = []
  private readonly blobs = new Set<string>()

  layer(type: string, name: string, inputs: string[], outputs: string[], params = ''): this {
    for (const blob of [...inputs, ...outputs]) this.blobs.add(blob)
    this.lines.push(`${type.padEnd(24)} ${name.padEnd(24)} ${inputs.length} ${outputs.length} ${[...inputs, ...outputs].join(' ')} ${params}`.trim())
    return this
  }

  /** Values rounded to float16, stored with the float16 tag; returns them as the model will hold them. */
  float16(values: Float32Array): Float32Array {
    const bits = Uint16Array.from(values, toFloat16Bits)
    const bytes = new Uint8Array(4 + Math.ceil((bits.length * 2) / 4) * 4)
    const view = new DataView(bytes.buffer)
    view.setUint32(0, 0x01306b47, true)
    bits.forEach((b, i) => view.setUint16(4 + 2 * i, b, true))
    this.arrays.push(bytes)
    return Float32Array.from(bits, fromFloat16Bits)
  }

  /** float32 values after a tag (0 by default). */
  float32(values: Float32Array, tag = 0): Float32Array {
    const bytes = new Uint8Array(4 + values.length * 4)
    new DataView(bytes.buffer).setUint32(0, tag, true)
    bytes.set(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)), 4)
    this.arrays.push(bytes)
    return values
  }

  /** Untagged float32 values (biases, slopes, scales). */
  raw(values: Float32Array): Float32Array {
    this.arrays.push(new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)))
    return values
  }

  build(): { param: Uint8Array; bin: Uint8Array } {
    const text = ['7767517', `${this.lines.length} ${this.blobs.size}`, ...this.lines, ''].join('\n')
    const bin = new Uint8Array(this.arrays.reduce((n, a) => n + a.length, 0))
    let offset = 0
    for (const a of this.arrays) {
      bin.set(a, offset)
      offset += a.length
    }
    return { param: new TextEncoder().encode(text), bin }
  }

  convert(): ConvertedModel {
    const { param, bin } = this.build()
    return convertNcnnModel(param, bin, { param: 'test.param', bin: 'test.bin' })
  }
}

/** Runs a converted model's full graph on one CHW input. */
export async function runConverted(model: ConvertedModel, input: FeatureMap): Promise<FeatureMap> {
  const session = await ort.InferenceSession.create(model.onnx)
  try {
    const result = await session.run({ [model.metadata.input]: new ort.Tensor('float32', input.data, [1, input.c, input.h, input.w]) })
    const output = result[model.metadata.output]
    const [, c, h, w] = output.dims
    return { c, h, w, data: output.data as Float32Array }
  } finally {
    await session.release()
  }
}

export function maxDifference(a: FeatureMap, b: FeatureMap): number {
  expect([a.c, a.h, a.w]).toEqual([b.c, b.h, b.w])
  let max = 0
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]))
  return max
}
