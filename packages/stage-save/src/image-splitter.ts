const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/**
 * Splits ffmpeg's image2pipe output (concatenated PNG or WebP files) back into files: a PNG ends
 * with its IEND chunk, a WebP (RIFF) carries its own length. Chunks are kept as received and only
 * joined once per image.
 */
export class ImageSplitter {
  private chunks: Buffer[] = []
  private length = 0
  /** PNG: offset of the next chunk header in the current file (0: before the signature). */
  private scan = 0
  /** Forward read cursor over `chunks`. */
  private cursorChunk = 0
  private cursorBase = 0

  constructor(
    private readonly format: 'png' | 'webp',
    private readonly onImage: (file: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
    this.extract()
  }

  /** Bytes received that do not (yet) form a whole image. */
  get pending(): number {
    return this.length
  }

  private byteAt(offset: number): number {
    if (offset < this.cursorBase) {
      this.cursorChunk = 0
      this.cursorBase = 0
    }
    while (offset >= this.cursorBase + this.chunks[this.cursorChunk].length) {
      this.cursorBase += this.chunks[this.cursorChunk].length
      this.cursorChunk++
    }
    return this.chunks[this.cursorChunk][offset - this.cursorBase]
  }

  private read(offset: number, n: number): Buffer {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i++) out[i] = this.byteAt(offset + i)
    return out
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length)
    const file = all.subarray(0, n)
    const rest = all.subarray(n)
    this.chunks = rest.length ? [rest] : []
    this.length = rest.length
    this.cursorChunk = 0
    this.cursorBase = 0
    this.scan = 0
    return file
  }

  private extract(): void {
    for (;;) {
      const end = this.format === 'png' ? this.pngEnd() : this.webpEnd()
      if (end === undefined || this.length < end) return
      this.onImage(this.take(end))
    }
  }

  private webpEnd(): number | undefined {
    if (this.length < 12) return undefined
    const head = this.read(0, 12)
    if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WEBP') {
      throw new Error('ffmpeg sent data that is not a WebP file')
    }
    const size = head.readUInt32LE(4)
    return 8 + size + (size & 1)
  }

  private pngEnd(): number | undefined {
    if (this.scan === 0) {
      if (this.length < 8) return undefined
      if (!this.read(0, 8).equals(PNG_SIGNATURE)) throw new Error('ffmpeg sent data that is not a PNG file')
      this.scan = 8
    }
    while (this.length >= this.scan + 8) {
      const header = this.read(this.scan, 8)
      const chunkEnd = this.scan + 12 + header.readUInt32BE(0)
      if (header.toString('latin1', 4, 8) === 'IEND') return chunkEnd
      this.scan = chunkEnd
    }
    return undefined
  }
}
