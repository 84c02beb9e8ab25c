// A streaming ZIP writer for "download all": files are stored (images and videos are compressed
// already), read once, and sent as they are read; a CRC and the sizes follow each file (a data
// descriptor). Archives of 4 GiB and more use ZIP64 records.
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

export interface ZipEntry {
  /** Name inside the archive. */
  name: string
  path: string
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(crc: number, bytes: Buffer): number {
  let c = ~crc >>> 0
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8)
  return ~c >>> 0
}

/** MS-DOS date and time, as ZIP stores them (local time, 2-second steps). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.max(1980, date.getFullYear())
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  }
}

const UTF8_AND_DESCRIPTOR = 0x0808
const MAX32 = 0xffffffff
/** Made on Unix (3) by a writer of spec 6.3: unzip then reads the UTF-8 names and the file modes. */
const MADE_BY = (3 << 8) | 63
/** A regular file, rw-r--r--. */
const FILE_MODE = (0o100644 << 16) >>> 0

/** Little-endian fields: [bytes, value] pairs, 8-byte ones as numbers below 2^53. */
function fields(...parts: [2 | 4 | 8, number][]): Buffer {
  const buffer = Buffer.alloc(parts.reduce((sum, [size]) => sum + size, 0))
  let offset = 0
  for (const [size, value] of parts) {
    if (size === 2) buffer.writeUInt16LE(value, offset)
    else if (size === 4) buffer.writeUInt32LE(value >>> 0, offset)
    else buffer.writeBigUInt64LE(BigInt(value), offset)
    offset += size
  }
  return buffer
}

interface Written {
  name: Buffer
  crc: number
  size: number
  offset: number
  time: { time: number; date: number }
}

function localHeader(entry: Written, zip64: boolean): Buffer {
  const extra = zip64 ? fields([2, 1], [2, 16], [8, 0], [8, 0]) : Buffer.alloc(0)
  const size = zip64 ? MAX32 : 0
  const head = fields([4, 0x04034b50], [2, zip64 ? 45 : 20], [2, UTF8_AND_DESCRIPTOR], [2, 0], [2, entry.time.time], [2, entry.time.date], [4, 0], [4, size], [4, size], [2, entry.name.length], [2, extra.length])
  return Buffer.concat([head, entry.name, extra])
}

function dataDescriptor(entry: Written, zip64: boolean): Buffer {
  const size: 4 | 8 = zip64 ? 8 : 4
  return fields([4, 0x08074b50], [4, entry.crc], [size, entry.size], [size, entry.size])
}

function centralHeader(entry: Written, zip64: boolean): Buffer {
  const extra = zip64 ? fields([2, 1], [2, 24], [8, entry.size], [8, entry.size], [8, entry.offset]) : Buffer.alloc(0)
  const size = zip64 ? MAX32 : entry.size
  const head = fields(
    [4, 0x02014b50], [2, MADE_BY], [2, zip64 ? 45 : 20], [2, UTF8_AND_DESCRIPTOR], [2, 0], [2, entry.time.time], [2, entry.time.date],
    [4, entry.crc], [4, size], [4, size], [2, entry.name.length], [2, extra.length], [2, 0], [2, 0], [2, 0], [4, FILE_MODE], [4, zip64 ? MAX32 : entry.offset],
  )
  return Buffer.concat([head, entry.name, extra])
}

function endRecords(count: number, directorySize: number, directoryOffset: number, zip64: boolean): Buffer {
  if (!zip64) return fields([4, 0x06054b50], [2, 0], [2, 0], [2, count], [2, count], [4, directorySize], [4, directoryOffset], [2, 0])
  const record = fields([4, 0x06064b50], [8, 44], [2, 45], [2, 45], [4, 0], [4, 0], [8, count], [8, count], [8, directorySize], [8, directoryOffset])
  const locator = fields([4, 0x07064b50], [4, 0], [8, directoryOffset + directorySize], [4, 1])
  const end = fields([4, 0x06054b50], [2, 0], [2, 0], [2, 0xffff], [2, 0xffff], [4, MAX32], [4, MAX32], [2, 0])
  return Buffer.concat([record, locator, end])
}

/** The archive's bytes, in order, reading each file once. ZIP64 records when 4 GiB is near, or when `zip64` asks. */
export async function* zipStream(entries: ZipEntry[], { zip64: forced = false } = {}): AsyncGenerator<Buffer> {
  const infos = await Promise.all(entries.map((entry) => stat(entry.path)))
  // Headers of a few hundred bytes per file stay far below the margin.
  const zip64 = forced || infos.reduce((sum, info) => sum + info.size, 0) >= MAX32 - 0x1000000
  const written: Written[] = []
  let offset = 0
  for (const [index, entry] of entries.entries()) {
    const record: Written = { name: Buffer.from(entry.name, 'utf8'), crc: 0, size: 0, offset, time: dosDateTime(infos[index].mtime) }
    const header = localHeader(record, zip64)
    yield header
    for await (const chunk of createReadStream(entry.path) as AsyncIterable<Buffer>) {
      record.crc = crc32(record.crc, chunk)
      record.size += chunk.length
      yield chunk
    }
    const descriptor = dataDescriptor(record, zip64)
    yield descriptor
    offset += header.length + record.size + descriptor.length
    written.push(record)
  }
  const directory = Buffer.concat(written.map((record) => centralHeader(record, zip64)))
  yield directory
  yield endRecords(written.length, directory.length, offset, zip64)
}

/** Names made unique within an archive: "a.png", "a (2).png" … */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>()
  return names.map((name) => {
    let candidate = name
    const dot = name.lastIndexOf('.')
    for (let n = 2; seen.has(candidate); n++) candidate = dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`
    seen.add(candidate)
    return candidate
  })
}
