import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'

/** SHA-256 of a whole file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Samples read for a source's fingerprint, and their size. */
const SAMPLES = 16
const SAMPLE_BYTES = 64 * 1024

/**
 * A fingerprint of a (possibly huge) source file: its size and SHA-256 over 16 samples of 64 KiB
 * spread from its start to its end. A re-encoded, cut or replaced file differs; the same file
 * copied elsewhere or touched does not (the path and modification time are not part of it).
 */
export async function sourceFingerprint(path: string): Promise<string> {
  const { size } = await stat(path)
  const hash = createHash('sha256').update(String(size))
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES)
    for (let i = 0; i < SAMPLES; i++) {
      const position = Math.max(0, Math.floor(((size - SAMPLE_BYTES) * i) / (SAMPLES - 1)))
      const { bytesRead } = await file.read(buffer, 0, SAMPLE_BYTES, position)
      hash.update(buffer.subarray(0, bytesRead))
    }
  } finally {
    await file.close()
  }
  return `${size}:${hash.digest('hex')}`
}
