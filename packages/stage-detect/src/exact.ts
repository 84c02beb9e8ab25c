// The `exact` detector: a frame repeats a reference only when every sample is identical.

/** A kept frame's samples, privately copied (the caller's buffer may be reused or handed downstream). */
export interface ExactReference {
  bytes: Buffer
  length: number
  width: number
  height: number
  bytesPerSample: number
}

function bytesOf(data: Uint8Array | Uint16Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

export class ExactDetector {
  prepare(data: Uint8Array | Uint16Array, width: number, height: number, spare: ExactReference | undefined): ExactReference {
    const source = bytesOf(data)
    const bytes = spare && spare.bytes.length >= source.length ? spare.bytes : Buffer.allocUnsafe(source.length)
    source.copy(bytes)
    return { bytes, length: source.length, width, height, bytesPerSample: data.BYTES_PER_ELEMENT }
  }

  matches(current: ExactReference, reference: ExactReference): boolean {
    const { length, width, height, bytesPerSample } = current
    if (length !== reference.length || width !== reference.width || height !== reference.height || bytesPerSample !== reference.bytesPerSample) return false
    return current.bytes.subarray(0, length).equals(reference.bytes.subarray(0, length))
  }
}
