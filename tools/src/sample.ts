// Draws a small anime-style picture (flat colours, dark line art, highlights), or a 2-second clip of
// it animated on twos with a tone for sound, so a fresh clone can try the upscaler on material this
// project made itself. Usage: sample.js <output.png|output.mp4> [width]
import { spawn } from 'node:child_process'
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, extname, join, basename } from 'node:path'
import sharp from 'sharp'
import { resolveFfmpeg } from '@anime-upscaler/core'
import { samplePose, sampleSvg } from './sample-art'

const FRAME_RATE = 24
const DRAWINGS = 24
/** Anime "on twos": every drawing is held for two frames. */
const HOLD = 2

async function main(): Promise<void> {
  const [output, widthArg] = process.argv.slice(2).filter((a) => a !== '--')
  if (!output) {
    process.stderr.write('usage: sample <output.png|output.mp4> [width]\n')
    process.exit(2)
  }
  const video = extname(output).toLowerCase() === '.mp4'
  const width = widthArg ? Number(widthArg) : 480
  // The clip is encoded as yuv420p, which needs even sizes.
  if (!Number.isInteger(width) || width <= 0 || (video && width % 2 !== 0)) {
    process.stderr.write(`Expected positive ${video ? 'even ' : ''}integer for width but received '${widthArg}'\n`)
    process.exit(2)
  }
  const height = video ? 2 * Math.round((width * 270) / 480 / 2) : Math.round((width * 270) / 480)
  await mkdir(dirname(output), { recursive: true })
  if (video) {
    await writeClip(output, width, height)
    process.stderr.write(`Wrote ${output} (${width}x${height}, ${DRAWINGS * HOLD} frames at ${FRAME_RATE} fps drawn on twos, with sound), a sample animated by anime-upscaler\n`)
  } else {
    await sharp(Buffer.from(sampleSvg(width, height))).png().toFile(output)
    process.stderr.write(`Wrote ${output} (${width}x${height}), a sample drawn by anime-upscaler\n`)
  }
}

/** Renders the drawings with sharp and pipes the frames into ffmpeg (H.264 + AAC tone); written to a temporary name, then renamed. */
async function writeClip(output: string, width: number, height: number): Promise<void> {
  const temporary = join(dirname(output), `.${basename(output)}.partial.mp4`)
  const seconds = (DRAWINGS * HOLD) / FRAME_RATE
  const ffmpeg = spawn(
    resolveFfmpeg(),
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(FRAME_RATE), '-i', 'pipe:0',
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

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
