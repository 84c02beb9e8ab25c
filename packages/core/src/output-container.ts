import type { MediaInfo } from '@anime-upscaler/stage-extract'
import type { VideoCodec } from '@anime-upscaler/stage-save'

/** A container an output can be written in; also its file extension. */
export type OutputContainer = 'mp4' | 'mkv' | 'webm'

/** What becomes of the source's other streams (stage-save's options of the same names; 'copy' when omitted). */
export interface StreamChoices {
  audioCodec?: string
  subtitleCodec?: string
  attachments?: 'copy' | 'none'
}

interface Holds {
  video: readonly string[]
  audio: readonly string[]
  subtitle: readonly string[]
  attachments: boolean
}

/** What the bundled ffmpeg (2018) writes into MP4 and WebM without experimental flags; Matroska holds the rest. */
const HOLDS: Record<Exclude<OutputContainer, 'mkv'>, Holds> = {
  mp4: { video: ['h264', 'hevc', 'vp9'], audio: ['aac', 'mp3', 'mp2', 'ac3', 'eac3', 'vorbis'], subtitle: ['mov_text'], attachments: false },
  webm: { video: ['vp9'], audio: ['opus', 'vorbis'], subtitle: ['webvtt'], attachments: false },
}
/** Matroska cannot hold MP4's own text subtitles: an MP4 source keeps them in MP4. */
const MATROSKA_REFUSES = ['mov_text', 'eia_608']

const VIDEO_ID: Record<VideoCodec, string> = { libx264: 'h264', libx265: 'hevc', 'libvpx-vp9': 'vp9', ffv1: 'ffv1' }
const AUDIO_ID: Record<string, string> = { aac: 'aac', libopus: 'opus', libvorbis: 'vorbis', libmp3lame: 'mp3', ac3: 'ac3', flac: 'flac', alac: 'alac' }
const SUBTITLE_ID: Record<string, string> = { mov_text: 'mov_text', srt: 'subrip', ass: 'ass', webvtt: 'webvtt' }

/** The codecs the output will hold, per stream type, after the choices (dropped streams left out). */
function outputStreams(source: Pick<MediaInfo, 'streams'>, choices: StreamChoices): { audio: string[]; subtitle: string[]; attachments: number } {
  const audioCodec = choices.audioCodec ?? 'copy'
  const subtitleCodec = choices.subtitleCodec ?? 'copy'
  const streams = source.streams
  const convert = (codec: string, choice: string, ids: Record<string, string>) => (choice === 'copy' ? codec : (ids[choice] ?? choice))
  return {
    audio: audioCodec === 'none' ? [] : streams.filter((s) => s.type === 'audio').map((s) => convert(s.codec, audioCodec, AUDIO_ID)),
    subtitle: subtitleCodec === 'none' ? [] : streams.filter((s) => s.type === 'subtitle').map((s) => convert(s.codec, subtitleCodec, SUBTITLE_ID)),
    attachments: choices.attachments === 'none' ? 0 : streams.filter((s) => s.type === 'attachment').length,
  }
}

function holds(container: OutputContainer, video: string, streams: ReturnType<typeof outputStreams>): boolean {
  if (container === 'mkv') return !streams.subtitle.some((codec) => MATROSKA_REFUSES.includes(codec))
  const rules = HOLDS[container]
  return (
    rules.video.includes(video) &&
    streams.audio.every((codec) => rules.audio.includes(codec)) &&
    streams.subtitle.every((codec) => rules.subtitle.includes(codec)) &&
    (rules.attachments || streams.attachments === 0)
  )
}

/**
 * The container for an output whose name does not decide one: the codec's usual home when it can
 * hold everything the source brings along (MP4 for H.264/HEVC, WebM for VP9), else Matroska, which
 * holds nearly anything (Opus audio, ASS subtitles, fonts). Pure: give it `probe(input)`'s result.
 */
export function outputContainer(source: Pick<MediaInfo, 'streams'>, codec: VideoCodec, choices: StreamChoices = {}): OutputContainer {
  const video = VIDEO_ID[codec]
  const streams = outputStreams(source, choices)
  const preferred: OutputContainer[] = codec === 'libvpx-vp9' ? ['webm', 'mkv', 'mp4'] : ['mp4', 'mkv']
  return preferred.find((container) => holds(container, video, streams)) ?? 'mkv'
}
