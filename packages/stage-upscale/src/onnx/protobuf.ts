/**
 * Minimal protobuf wire-format writer: just the field kinds an ONNX model needs
 * (varints, 32-bit floats, length-delimited bytes/strings/sub-messages).
 */

const WIRE_VARINT = 0
const WIRE_LENGTH_DELIMITED = 2
const WIRE_FIXED32 = 5

const textEncoder = new TextEncoder()

/** Growable byte buffer that writes tagged protobuf fields in call order. */
export class ProtoWriter {
  private buffer = new Uint8Array(64)
  private length = 0

  /** Integer field (int32, int64, enum, bool) as a varint; negatives take ten bytes as in int64. */
  int(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`Expected a safe integer for field ${field} but received ${value}`)
    this.tag(field, WIRE_VARINT)
    if (value >= 0) this.varint(value)
    else this.varint64(BigInt.asUintN(64, BigInt(value)))
    return this
  }

  /** 32-bit float field (wire type 5, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32)
    this.reserve(4)
    new DataView(this.buffer.buffer, this.buffer.byteOffset + this.length, 4).setFloat32(0, value, true)
    this.length += 4
    return this
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED)
    this.varint(data.length)
    this.append(data)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value))
  }

  /** Embedded message: encoded separately because its length prefix comes first. */
  message(field: number, encode: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    encode(inner)
    return this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  /** Non-negative integers up to 2^53; division instead of bit ops, which would truncate to 32 bits. */
  private varint(value: number): void {
    this.reserve(8)
    while (value >= 0x80) {
      this.buffer[this.length++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.buffer[this.length++] = value
  }

  private varint64(value: bigint): void {
    this.reserve(10)
    while (value >= 0x80n) {
      this.buffer[this.length++] = Number(value & 0x7fn) | 0x80
      value >>= 7n
    }
    this.buffer[this.length++] = Number(value)
  }

  private append(data: Uint8Array): void {
    this.reserve(data.length)
    this.buffer.set(data, this.length)
    this.length += data.length
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra))
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }
}
