// The sample clip: the sample drawing animated on twos (each drawing held for two frames, as anime
// is drawn), with a tone for sound, encoded by ffmpeg. Made by this project, so it can be published.
import { ManagedProcess, writeAtomically } from '@anime-upscaler/common'
import { resolveFfmpeg } from '@anime-upscaler/stage-extract'
import sharp from 'sharp'
import { samplePose, sampleSvg } from './drawing'

const DRAWINGS = 24
/** Anime "on twos": every drawing is held for two frames. */
const HOLD = 2

export const SAMPLE_CLIP = { frameRate: 24, frames: DRAWINGS * HOLD } as const

function encoderArgs(output: string, width: number, height: number): string[] {
  const seconds = SAMPLE_CLIP.frames / SAMPLE_CLIP.frameRate
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(SAMPLE_CLIP.frameRate), '-i', 'pipe:0',
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-vf', 'scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p',
    '-c:v', 'libx264', '-crf', '16', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
    '-c:a', 'aac', '-b:a', '96k', '-shortest', '-movflags', '+faststart', '-f', 'mp4', '-y', output,
  ]
}

async function encodeClip(output: string, width: number, height: number): Promise<void> {
  const ffmpeg = await ManagedProcess.start(resolveFfmpeg(), encoderArgs(output, width, height))
  try {
    for (let drawing = 0; drawing < DRAWINGS; drawing++) {
      const frame = await sharp(Buffer.from(sampleSvg(width, height, samplePose(drawing)))).removeAlpha().raw().toBuffer()
      for (let i = 0; i < HOLD; i++) await ffmpeg.write(new Uint8Array(0), frame)
    }
    const { code } = await ffmpeg.end()
    if (code !== 0) throw new Error(`ffmpeg could not encode the sample clip (exit ${code}): ${ffmpeg.stderrTail().slice(-3).join(' | ')}`)
  } finally {
    await ffmpeg.stop()
  }
}

/**
 * Writes the sample clip (H.264 + AAC tone in MP4, `width`×`height`, both even): the drawings are
 * rendered with sharp and piped into ffmpeg. The file appears only once complete.
 */
export function writeSampleClip(output: string, width: number, height: number): Promise<void> {
  return writeAtomically(output, true, (temporary) => encodeClip(temporary, width, height))
}
