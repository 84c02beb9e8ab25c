/**
 * Minimal protobuf wire-format reader: splits a message into its top-level fields, keeping each
 * field's encoded bytes so that a message can be rewritten without decoding what it does not touch.
 */

const textDecoder = new TextDecoder()

/** One field of a message: its number, and its value (a varint, or the bytes of a length-delimited field). */
export interface ProtoField {
  field: number
  wireType: number
  /** Varint value (wire type 0); 0 for other wire types. */
  int: number
  /** Payload of a length-delimited field (wire type 2); empty for other wire types. */
  bytes: Uint8Array
  /** The whole field as encoded, tag included: what to copy to keep it unchanged. */
  raw: Uint8Array
}

/** Splits `message` into its fields, in order. Throws a RangeError on malformed input. */
export function readFields(message: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = []
  let offset = 0
  const varint = (): number => {
    let value = 0
    let factor = 1
    for (;;) {
      if (offset >= message.length) throw new RangeError('Truncated protobuf varint')
      const byte = message[offset++]
      value += (byte & 0x7f) * factor
      if (byte < 0x80) return value
      factor *= 0x80
    }
  }
  while (offset < message.length) {
    const start = offset
    const tag = varint()
    const field = Math.floor(tag / 8)
    const wireType = tag % 8
    let int = 0
    let bytes: Uint8Array = new Uint8Array(0)
    if (wireType === 0) int = varint()
    else if (wireType === 1) offset += 8
    else if (wireType === 5) offset += 4
    else if (wireType === 2) {
      const length = varint()
      bytes = message.subarray(offset, offset + length)
      offset += length
    } else throw new RangeError(`Unsupported protobuf wire type ${wireType} in field ${field}`)
    if (offset > message.length) throw new RangeError(`Truncated protobuf field ${field}`)
    fields.push({ field, wireType, int, bytes, raw: message.subarray(start, offset) })
  }
  return fields
}

export function fieldText(field: ProtoField): string {
  return textDecoder.decode(field.bytes)
}

/** Concatenates encoded fields into one message. */
export function joinFields(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
