// Draws a small anime-style picture (flat colours, dark line art, highlights) so a fresh clone can
// try the upscaler on an image this project made itself. Usage: sample.js <output.png> [width]
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import sharp from 'sharp'
import { sampleSvg } from './sample-art'

async function main(): Promise<void> {
  const [output, widthArg] = process.argv.slice(2).filter((a) => a !== '--')
  if (!output) {
    process.stderr.write('usage: sample <output.png> [width]\n')
    process.exit(2)
  }
  const width = widthArg ? Number(widthArg) : 480
  if (!Number.isInteger(width) || width <= 0) {
    process.stderr.write(`Expected positive integer for width but received '${widthArg}'\n`)
    process.exit(2)
  }
  const height = Math.round((width * 270) / 480)
  await mkdir(dirname(output), { recursive: true })
  await sharp(Buffer.from(sampleSvg(width, height))).png().toFile(output)
  process.stderr.write(`Wrote ${output} (${width}x${height}), a sample drawn by anime-upscaler\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
