import type { Rational } from '@anime-upscaler/common'

export type { Rational } from '@anime-upscaler/common'

export type StreamType = 'video' | 'audio' | 'subtitle' | 'attachment' | 'data' | 'unknown'

/** One stream of the input, as ffprobe sees it. */
export interface StreamInfo {
  /** Absolute stream index in the container (what `-map 0:<index>` selects). */
  index: number
  type: StreamType
  /** Codec name (`h264`, `opus`, `ass`, `ttf` …), `'unknown'` when ffprobe has none. */
  codec: string
  codecLongName?: string
  profile?: string
  /** ISO 639 language tag; absent when the container has none or says `und`. */
  language?: string
  title?: string
  isDefault: boolean
  forced: boolean
  /** A still picture (cover art) stored as a video stream. Never chosen as the video to extract. */
  attachedPicture: boolean
  /** Video streams: stored size and pixel format. */
  width?: number
  height?: number
  pixelFormat?: string
  /** Audio streams. */
  sampleRate?: number
  channels?: number
  channelLayout?: string
  /** Attachments (fonts in Matroska): file name and MIME type. */
  filename?: string
  mimeType?: string
  /** Every tag of the stream, unchanged. */
  tags: Record<string, string>
}

/** Colour description of the video. Absent fields are unspecified in the file. */
export interface ColorInfo {
  /** Matrix coefficients as ffprobe names them (`bt709`, `smpte170m`, `bt470bg`, `bt2020nc` …). */
  matrix?: string
  /** `tv` (limited, 16-235) or `pc` (full). */
  range?: 'tv' | 'pc'
  primaries?: string
  transfer?: string
}

/** The video stream stage-extract decodes. */
export interface VideoInfo {
  index: number
  codec: string
  profile?: string
  /** Stored (coded) size. */
  width: number
  height: number
  /** Size of the upright picture, after rotation: the size of every extracted frame. */
  displayWidth: number
  displayHeight: number
  /** Clockwise rotation, in degrees, that makes the stored picture upright (display matrix or `rotate` tag). */
  rotation: 0 | 90 | 180 | 270
  /** Shape of a stored pixel (1/1 for square pixels). Frames are not resampled to square pixels. */
  sampleAspectRatio: Rational
  pixelFormat: string
  /** Bits per component of the decoded picture (8, 10, 12, 16). */
  bitDepth: number
  color: ColorInfo
  /** ffprobe's r_frame_rate: the base rate all timestamps fit on. */
  rFrameRate?: Rational
  /** ffprobe's avg_frame_rate: frames divided by duration. */
  avgFrameRate?: Rational
  /** The nominal rate: r_frame_rate for constant-rate video, avg_frame_rate for variable-rate video. */
  frameRate: Rational
  /** True when frames are not evenly spaced (checked on packet timestamps, see `timestampsScanned`). */
  variableFrameRate: boolean
  /** Number of video packets whose timestamps were examined; `timestampsComplete` when that was all of them. */
  timestampsScanned: number
  timestampsComplete: boolean
  timeBase: Rational
  /** Timestamp of the first frame, seconds (on the source's timeline, like every `DecodedFrame.pts`). */
  startTime: number
  /** Seconds. */
  duration: number
  /** Number of frames: exact when the container records it, else an estimate (`frameCountExact: false`). */
  frameCount: number
  frameCountExact: boolean
  fieldOrder?: string
}

export interface ChapterInfo {
  start: number
  end: number
  title?: string
}

export interface FormatInfo {
  /** ffprobe's format_name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `image2`, `gif`. */
  name: string
  longName?: string
  duration?: number
  startTime?: number
  size?: number
  bitRate?: number
  tags: Record<string, string>
}

/** What `probe` reports about an input. Plain data: safe to `JSON.stringify`. */
export interface MediaInfo {
  /** The input as given. */
  input: string
  /** True for image-sequence patterns such as `frame_%04d.png`. */
  imageSequence: boolean
  format: FormatInfo
  /** Seconds: the video's duration, else the container's. */
  duration: number
  video: VideoInfo
  streams: StreamInfo[]
  chapters: ChapterInfo[]
}

/** One decoded picture, upright, in RGB. */
export interface DecodedFrame {
  /** 0, 1, 2 … in presentation order. */
  index: number
  /** Presentation timestamp in seconds, on the source's timeline (`info.video.startTime` for the first frame). */
  pts: number
  image: {
    /** Interleaved RGB, rows top to bottom, no padding: Uint8Array (8-bit) or Uint16Array (full 16-bit scale). */
    data: Uint8Array | Uint16Array
    width: number
    height: number
    channels: 3
  }
}
