// Draws a small anime-style picture (flat colours, dark line art, highlights), or a 2-second clip of
// it animated on twos with a tone for sound, so a fresh clone can try the upscaler on material this
// project made itself. Usage: sample.js <output.png|output.mp4> [width]
import { mkdir } from 'node:fs/promises'
import { dirname, extname } from 'node:path'
import sharp from 'sharp'
import { SAMPLE_CLIP, sampleSvg, writeSampleClip } from '@anime-upscaler/core'

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
    await writeSampleClip(output, width, height)
    process.stderr.write(`Wrote ${output} (${width}x${height}, ${SAMPLE_CLIP.frames} frames at ${SAMPLE_CLIP.frameRate} fps drawn on twos, with sound), a sample animated by anime-upscaler\n`)
  } else {
    await sharp(Buffer.from(sampleSvg(width, height))).png().toFile(output)
    process.stderr.write(`Wrote ${output} (${width}x${height}), a sample drawn by anime-upscaler\n`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
