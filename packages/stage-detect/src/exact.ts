// The `exact` detector: a frame repeats the last kept one only when every sample is identical.

function bytesOf(data: Uint8Array | Uint16Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

export class ExactDetector {
  private ref = Buffer.alloc(0)
  private refLength = -1
  private width = 0
  private height = 0
  private bytesPerSample = 0

  next(data: Uint8Array | Uint16Array, width: number, height: number, compare: boolean): boolean {
    const bytes = bytesOf(data)
    if (compare && this.refLength === bytes.length && width === this.width && height === this.height && data.BYTES_PER_ELEMENT === this.bytesPerSample) {
      if (bytes.equals(this.ref.subarray(0, this.refLength))) return true
    }
    // Keep a private copy: the caller's buffer may be reused or handed downstream.
    if (this.ref.length < bytes.length) this.ref = Buffer.allocUnsafe(bytes.length)
    bytes.copy(this.ref)
    this.refLength = bytes.length
    this.width = width
    this.height = height
    this.bytesPerSample = data.BYTES_PER_ELEMENT
    return false
  }
}
