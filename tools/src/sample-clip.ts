// The sample clip: the sample drawing animated on twos (each drawing held for two frames, as anime
// is drawn), with a tone for sound, encoded by ffmpeg. Made by this project, so it can be published.
import { spawn } from 'node:child_process'
import { rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import sharp from 'sharp'
import { resolveFfmpeg } from '@anime-upscaler/core'
import { samplePose, sampleSvg } from './sample-art'

const DRAWINGS = 24
/** Anime "on twos": every drawing is held for two frames. */
const HOLD = 2

export const SAMPLE_CLIP = { frameRate: 24, frames: DRAWINGS * HOLD } as const

/** Renders the drawings with sharp and pipes the frames into ffmpeg (H.264 + AAC tone); written to a temporary name, then renamed. */
export async function writeSampleClip(output: string, width: number, height: number): Promise<void> {
  const temporary = join(dirname(output), `.${basename(output)}.partial.mp4`)
  const seconds = SAMPLE_CLIP.frames / SAMPLE_CLIP.frameRate
  const ffmpeg = spawn(
    resolveFfmpeg(),
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(SAMPLE_CLIP.frameRate), '-i', 'pipe:0',
      '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-vf', 'scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+full_chroma_int,format=yuv420p',
      '-c:v', 'libx264', '-crf', '16', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
      '-c:a', 'aac', '-b:a', '96k', '-shortest', '-movflags', '+faststart', '-y', temporary,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  let stderr = ''
  ffmpeg.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.on('error', reject)
    ffmpeg.on('close', resolve)
  })
  try {
    for (let drawing = 0; drawing < DRAWINGS; drawing++) {
      const frame = await sharp(Buffer.from(sampleSvg(width, height, samplePose(drawing)))).removeAlpha().raw().toBuffer()
      for (let i = 0; i < HOLD; i++) {
        if (!ffmpeg.stdin!.write(frame)) await new Promise((resolve) => ffmpeg.stdin!.once('drain', resolve))
      }
    }
    ffmpeg.stdin!.end()
    const code = await exited
    if (code !== 0) throw new Error(`ffmpeg could not encode the sample clip (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
    await rename(temporary, output)
  } catch (error) {
    ffmpeg.kill('SIGKILL')
    await rm(temporary, { force: true })
    throw error
  }
}

