import { message, optionName, optionSetting, type MessagePart } from '@anime-upscaler/common'

/** The output containers stage-save writes, chosen by the output's extension (NUT only for segments, see `segmentPlan`). */
export type Muxer = 'matroska' | 'webm' | 'mp4' | 'mov' | 'nut'

export const MUXER_BY_EXTENSION: Record<string, Muxer> = {
  '.mkv': 'matroska',
  '.webm': 'webm',
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mov',
}

/** A stream of the source file, as `ffmpeg -i` lists it. */
export interface SourceStream {
  index: number
  type: 'video' | 'audio' | 'subtitle' | 'attachment' | 'data'
  codec: string
  /** ISO 639 language, when the stream is tagged with one. */
  language?: string
}

/** What stream type an encoder name produces. */
const VIDEO_CODEC_ID: Record<string, string> = { libx264: 'h264', libx265: 'hevc', 'libvpx-vp9': 'vp9', ffv1: 'ffv1' }
const AUDIO_CODEC_ID: Record<string, string> = {
  aac: 'aac', libopus: 'opus', libvorbis: 'vorbis', libmp3lame: 'mp3', ac3: 'ac3', flac: 'flac', alac: 'alac',
}
const SUBTITLE_CODEC_ID: Record<string, string> = { mov_text: 'mov_text', srt: 'subrip', ass: 'ass', webvtt: 'webvtt' }

type Allowed = ReadonlySet<string> | 'any'

interface ContainerRules {
  label: string
  video: Allowed
  audio: Allowed
  /** Subtitle codecs the muxer accepts ('any' minus `subtitleDenied`). */
  subtitle: Allowed
  subtitleDenied?: ReadonlySet<string>
  attachments: boolean
  /** What to suggest when an audio / subtitle stream does not fit: the codec to convert to, and what that costs. */
  audioFix: { codec: string; note: string }
  subtitleFix: { codec: string; note: string }
}

const PCM = ['pcm_s16le', 'pcm_s16be', 'pcm_s24le', 'pcm_s24be', 'pcm_s32le', 'pcm_s32be', 'pcm_f32le', 'pcm_f32be', 'pcm_u8']

/**
 * What the bundled ffmpeg (N-47683, 2018) writes into each container without `-strict experimental`,
 * measured with it: e.g. opus and flac in MP4 are refused as experimental, subrip/ass in MP4 are not
 * supported, mov_text in Matroska is not supported.
 */
const RULES: Record<Muxer, ContainerRules> = {
  // A segment's own container: video only, any codec, exact time bases (its streams come from the join).
  nut: {
    label: 'NUT (a segment)',
    video: 'any',
    audio: new Set(),
    subtitle: new Set(),
    attachments: false,
    audioFix: { codec: 'none', note: '' },
    subtitleFix: { codec: 'none', note: '' },
  },
  matroska: {
    label: 'Matroska (.mkv)',
    video: 'any',
    audio: 'any',
    subtitle: 'any',
    subtitleDenied: new Set(['mov_text', 'eia_608']),
    attachments: true,
    audioFix: { codec: 'aac', note: '' },
    subtitleFix: { codec: 'srt', note: ' to convert them' },
  },
  webm: {
    label: 'WebM (.webm)',
    video: new Set(['vp8', 'vp9', 'av1']),
    audio: new Set(['opus', 'vorbis']),
    subtitle: new Set(['webvtt']),
    attachments: false,
    audioFix: { codec: 'libopus', note: ' to transcode it' },
    subtitleFix: { codec: 'webvtt', note: ' to convert them (text subtitles only; styling is lost)' },
  },
  mp4: {
    label: 'MP4 (.mp4)',
    video: new Set(['h264', 'hevc', 'vp9', 'av1', 'mpeg4']),
    audio: new Set(['aac', 'mp3', 'mp2', 'ac3', 'eac3', 'vorbis']),
    subtitle: new Set(['mov_text']),
    attachments: false,
    audioFix: { codec: 'aac', note: ' to transcode it' },
    subtitleFix: { codec: 'mov_text', note: ' to convert them (text subtitles only; styling is lost)' },
  },
  mov: {
    label: 'QuickTime (.mov)',
    video: new Set(['h264', 'hevc', 'ffv1', 'mpeg4', 'prores', 'mjpeg']),
    audio: new Set(['aac', 'mp3', 'mp2', 'ac3', 'eac3', 'alac', 'vorbis', ...PCM]),
    subtitle: new Set(['mov_text']),
    attachments: false,
    audioFix: { codec: 'aac', note: ' to transcode it' },
    subtitleFix: { codec: 'mov_text', note: ' to convert them (text subtitles only; styling is lost)' },
  },
}

function allows(allowed: Allowed, codec: string, denied?: ReadonlySet<string>): boolean {
  if (denied?.has(codec)) return false
  return allowed === 'any' || allowed.has(codec)
}

/** A container that cannot hold something it was asked to: what, and the option the caller can change. */
export interface ContainerProblem {
  parts: MessagePart[]
  option: string
  value: unknown
}

/** The problem when the encoder's output cannot go into the container, else undefined. */
export function videoCodecProblem(muxer: Muxer, codec: string): ContainerProblem | undefined {
  const rules = RULES[muxer]
  const id = VIDEO_CODEC_ID[codec] ?? codec
  if (allows(rules.video, id)) return undefined
  const fits = Object.entries(VIDEO_CODEC_ID)
    .filter(([, v]) => allows(rules.video, v))
    .map(([k]) => `'${k}'`)
  const homes = (Object.keys(MUXER_BY_EXTENSION) as string[]).filter((ext) => allows(RULES[MUXER_BY_EXTENSION[ext]].video, id))
  return {
    parts: message`${rules.label} cannot hold ${id} video from ${optionName('codec')} '${codec}': use ${optionName('codec')} ${fits.join(' or ')}, or an ${optionName('output')} ending in ${homes.join(', ')}`,
    option: 'codec',
    value: codec,
  }
}

export interface StreamPlan {
  audio: SourceStream[]
  subtitle: SourceStream[]
  attachment: SourceStream[]
  /** Source streams that are not carried over (data streams), for the record. */
  skipped: SourceStream[]
}

/**
 * Decides which source streams go to the output, and refuses (with what to do instead) when the
 * container cannot hold one of them.
 */
export function planSourceStreams(
  muxer: Muxer,
  streams: readonly SourceStream[],
  choice: { audioCodec: string; subtitleCodec: string; attachments: 'copy' | 'none' },
): { plan: StreamPlan; problems: ContainerProblem[] } {
  const rules = RULES[muxer]
  const plan: StreamPlan = { audio: [], subtitle: [], attachment: [], skipped: [] }
  const problems: ContainerProblem[] = []
  const alternatives = (option: string, fix: unknown, note = '') =>
    message`choose an .mkv ${optionName('output')}, or use ${optionSetting(option, fix)}${note}, or ${optionSetting(option, 'none')} to drop it`
  for (const s of streams) {
    if (s.type === 'audio' && choice.audioCodec !== 'none') {
      const codec = choice.audioCodec === 'copy' ? s.codec : AUDIO_CODEC_ID[choice.audioCodec] ?? choice.audioCodec
      if (!allows(rules.audio, codec)) {
        const note = muxer === 'mp4' && (codec === 'opus' || codec === 'flac') ? ' (this ffmpeg, from 2018, writes it only as an experimental feature)' : ''
        problems.push({ parts: [`${rules.label} cannot hold the source's ${codec} audio (stream #${s.index})${note}: `, ...alternatives('audioCodec', rules.audioFix.codec, rules.audioFix.note)], option: 'audioCodec', value: choice.audioCodec })
      }
      plan.audio.push(s)
    } else if (s.type === 'subtitle' && choice.subtitleCodec !== 'none') {
      const codec = choice.subtitleCodec === 'copy' ? s.codec : SUBTITLE_CODEC_ID[choice.subtitleCodec] ?? choice.subtitleCodec
      if (!allows(rules.subtitle, codec, rules.subtitleDenied)) {
        const { codec: fix, note } = rules.subtitleFix
        problems.push({ parts: [`${rules.label} cannot hold the source's ${codec} subtitles (stream #${s.index}): `, ...alternatives('subtitleCodec', fix, note)], option: 'subtitleCodec', value: choice.subtitleCodec })
      }
      plan.subtitle.push(s)
    } else if (s.type === 'attachment' && choice.attachments !== 'none') {
      if (!rules.attachments) {
        problems.push({
          parts: message`${rules.label} cannot hold the source's attachment (stream #${s.index}, ${s.codec}, e.g. a font): choose an .mkv ${optionName('output')}, or use ${optionSetting('attachments', 'none')} to drop it`,
          option: 'attachments',
          value: choice.attachments,
        })
      }
      plan.attachment.push(s)
    } else if (s.type === 'data') {
      plan.skipped.push(s)
    }
  }
  return { plan, problems }
}

/** Parses the stream list that `ffmpeg -i FILE` prints on stderr. */
export function parseStreamList(stderr: string): { streams: SourceStream[]; chapters: number; hasInput: boolean } {
  const streams: SourceStream[] = []
  let chapters = 0
  let hasInput = false
  let inFirstInput = false
  for (const line of stderr.split(/\r?\n/)) {
    if (/^Input #0,/.test(line)) {
      hasInput = true
      inFirstInput = true
      continue
    }
    if (/^(Input|Output) #\d+/.test(line)) inFirstInput = false
    if (!inFirstInput) continue
    const m = /^\s*Stream #0:(\d+)(?:\[[^\]]*\])?(?:\(([^)]*)\))?: (Video|Audio|Subtitle|Attachment|Data): ([^\s,]+)/.exec(line)
    if (m) {
      const language = m[2] && m[2] !== 'und' ? { language: m[2] } : {}
      streams.push({ index: Number(m[1]), type: m[3].toLowerCase() as SourceStream['type'], codec: m[4], ...language })
      continue
    }
    if (/^\s*Chapter #0:\d+/.test(line)) chapters++
  }
  return { streams, chapters, hasInput }
}
