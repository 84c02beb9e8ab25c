/**
 * A minimal Matroska writer for raw frames (RGB or Y'CbCr 4:2:0) on a pipe: ffmpeg reads it with `-f matroska -i pipe:0`.
 *
 * Raw video on a pipe carries no timestamps, so each frame goes into its own Cluster whose Timecode
 * is the frame's presentation time in microseconds (TimecodeScale 1000 ns), holding one SimpleBlock
 * of the uncompressed codec `V_UNCOMPRESSED`. The pixel layout is given by the ColourSpace FourCC,
 * the same tags ffmpeg's raw decoder knows ('RGB' 24 for rgb24, 'RGB' 48 for rgb48le, 'I420' for yuv420p, 'Y3' 11 10 for yuv420p10le). The Segment
 * has unknown size, as in live streams, so nothing needs to be seeked or patched.
 */

export type RawPixelFormat = 'rgb24' | 'rgb48le' | 'yuv420p' | 'yuv420p10le'

/** ColourSpace FourCCs of ffmpeg's raw decoder. */
const FOURCC: Record<RawPixelFormat, number[]> = {
  rgb24: [0x52, 0x47, 0x42, 24], // 'RGB' 24
  rgb48le: [0x52, 0x47, 0x42, 48], // 'RGB' 48
  yuv420p: [0x49, 0x34, 0x32, 0x30], // 'I420'
  yuv420p10le: [0x59, 0x33, 11, 10], // 'Y3' 11 10
}

/** Timestamps are written in microseconds. */
export const TIMECODE_SCALE_NS = 1000

const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  CodecID: 0x86,
  DefaultDuration: 0x23e383,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  ColourSpace: 0x2eb524,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
} as const

/** An element ID keeps its length marker bits: write its bytes as they are. */
function idBytes(id: number): Buffer {
  const bytes: number[] = []
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.from(bytes)
}

/** An EBML data size, always on 8 bytes (valid for every size and simple to compute). */
function size8(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  b[0] = 0x01
  return b
}

function element(id: number, payload: Buffer): Buffer {
  return Buffer.concat([idBytes(id), size8(payload.length), payload])
}

function uintElement(id: number, value: number): Buffer {
  const bytes: number[] = []
  let v = BigInt(Math.round(value))
  do {
    bytes.unshift(Number(v & 0xffn))
    v >>= 8n
  } while (v > 0n)
  return element(id, Buffer.from(bytes))
}

function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'ascii'))
}

export interface StreamHeader {
  width: number
  height: number
  pixelFormat: RawPixelFormat
  /** Nominal frame duration in ns, for constant-rate streams. */
  defaultDurationNs?: number
}

/** EBML header, Segment start (unknown size), Info and Tracks. */
export function streamHeader(h: StreamHeader): Buffer {
  const ebml = element(
    ID.EBML,
    Buffer.concat([
      uintElement(ID.EBMLVersion, 1),
      uintElement(ID.EBMLReadVersion, 1),
      uintElement(ID.EBMLMaxIDLength, 4),
      uintElement(ID.EBMLMaxSizeLength, 8),
      stringElement(ID.DocType, 'matroska'),
      uintElement(ID.DocTypeVersion, 4),
      uintElement(ID.DocTypeReadVersion, 2),
    ]),
  )
  const segmentStart = Buffer.concat([idBytes(ID.Segment), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])])
  const info = element(
    ID.Info,
    Buffer.concat([
      uintElement(ID.TimecodeScale, TIMECODE_SCALE_NS),
      stringElement(ID.MuxingApp, 'anime-upscaler stage-save'),
      stringElement(ID.WritingApp, 'anime-upscaler stage-save'),
    ]),
  )
  const fourcc = Buffer.from(FOURCC[h.pixelFormat])
  const video = element(
    ID.Video,
    Buffer.concat([uintElement(ID.PixelWidth, h.width), uintElement(ID.PixelHeight, h.height), element(ID.ColourSpace, fourcc)]),
  )
  const track = element(
    ID.TrackEntry,
    Buffer.concat([
      uintElement(ID.TrackNumber, 1),
      uintElement(ID.TrackUID, 1),
      uintElement(ID.TrackType, 1),
      uintElement(ID.FlagLacing, 0),
      stringElement(ID.CodecID, 'V_UNCOMPRESSED'),
      ...(h.defaultDurationNs ? [uintElement(ID.DefaultDuration, h.defaultDurationNs)] : []),
      video,
    ]),
  )
  return Buffer.concat([ebml, segmentStart, info, element(ID.Tracks, track)])
}

/**
 * Everything that precedes a frame's pixels: a Cluster at `timecodeUs` holding one keyframe
 * SimpleBlock of track 1 (relative timecode 0) whose payload is the next `frameBytes` bytes.
 */
export function frameHeader(timecodeUs: number, frameBytes: number): Buffer {
  const timecode = uintElement(ID.Timecode, timecodeUs)
  const blockPrefix = Buffer.from([0x81, 0x00, 0x00, 0x80]) // track 1, timecode +0, keyframe
  const blockSize = blockPrefix.length + frameBytes
  const blockHead = Buffer.concat([idBytes(ID.SimpleBlock), size8(blockSize), blockPrefix])
  const clusterSize = timecode.length + blockHead.length + frameBytes
  return Buffer.concat([idBytes(ID.Cluster), size8(clusterSize), timecode, blockHead])
}
