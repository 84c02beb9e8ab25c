import * as ort from 'onnxruntime-node'
import { encodeOnnxModel } from '../src/onnx/model'
import { ProtoWriter } from '../src/onnx/protobuf'

const bytes = (build: (writer: ProtoWriter) => void) => {
  const writer = new ProtoWriter()
  build(writer)
  return Array.from(writer.finish())
}

describe('ProtoWriter', () => {
  test('writes varints with their field tags', () => {
    expect(bytes((w) => w.int(1, 150))).toEqual([0x08, 0x96, 0x01])
    expect(bytes((w) => w.int(20, 2))).toEqual([0xa0, 0x01, 0x02])
    expect(bytes((w) => w.int(1, 2 ** 40))).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20])
  })

  test('writes negative integers as 64-bit two’s complement', () => {
    expect(bytes((w) => w.int(1, -1))).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  })

  test('length-prefixes strings and nested messages', () => {
    expect(bytes((w) => w.string(2, 'ab'))).toEqual([0x12, 0x02, 0x61, 0x62])
    expect(bytes((w) => w.message(3, (inner) => inner.int(1, 1)))).toEqual([0x1a, 0x02, 0x08, 0x01])
  })

  test('rejects integers it cannot represent exactly', () => {
    expect(() => new ProtoWriter().int(1, 0.5)).toThrow(RangeError)
  })
})

describe('encodeOnnxModel', () => {
  test('produces a model onnxruntime runs at any size of its symbolic dims', async () => {
    const model = encodeOnnxModel({
      producerName: 'anime-upscaler',
      opsetVersion: 17,
      graph: {
        name: 'pad-then-scale',
        nodes: [
          { opType: 'Pad', inputs: ['input', 'pads'], outputs: ['padded'], attributes: { mode: 'edge' } },
          { opType: 'Mul', inputs: ['padded', 'two'], outputs: ['output'] },
        ],
        initializers: [
          { name: 'pads', dims: [4], data: new BigInt64Array([0n, 1n, 0n, 0n]) },
          { name: 'two', dims: [], data: new Float32Array([2]) },
        ],
        inputs: [{ name: 'input', dims: [1, 'width'] }],
        outputs: [{ name: 'output', dims: [1, 'padded_width'] }],
      },
    })
    const session = await ort.InferenceSession.create(model)
    const { output } = await session.run({ input: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]) })
    await session.release()
    expect(output.dims).toEqual([1, 4])
    expect(Array.from(output.data as Float32Array)).toEqual([2, 2, 4, 6])
  })

  test('declares uint8/uint16 inputs and outputs and stores uint8/uint16 initializers', async () => {
    // uint16 in → (x − 3) as float → rounded and saturated to uint8 out.
    const model = encodeOnnxModel({
      producerName: 'anime-upscaler',
      opsetVersion: 21,
      graph: {
        name: 'integer-io',
        nodes: [
          { opType: 'DequantizeLinear', inputs: ['input', 'one', 'three'], outputs: ['float'] },
          { opType: 'QuantizeLinear', inputs: ['float', 'one', 'zero'], outputs: ['output'] },
        ],
        initializers: [
          { name: 'one', dims: [], data: new Float32Array([1]) },
          { name: 'three', dims: [], data: new Uint16Array([3]) },
          { name: 'zero', dims: [], data: new Uint8Array([0]) },
        ],
        inputs: [{ name: 'input', dims: ['n'], elementType: 'uint16' }],
        outputs: [{ name: 'output', dims: ['n'], elementType: 'uint8' }],
      },
    })
    const session = await ort.InferenceSession.create(model)
    const { output } = await session.run({ input: new ort.Tensor('uint16', new Uint16Array([0, 3, 4, 300]), [4]) })
    await session.release()
    expect(output.type).toBe('uint8')
    expect(Array.from(output.data as Uint8Array)).toEqual([0, 0, 1, 255])
  })
})
