// The inputs every README example may read, made by this project in the example's folder:
//   picture.png        the sample drawing, 160x90
//   shots/             a.png, b.png (two poses of the drawing) and c.jpg
//   clip.mp4           the sample clip: 2 s at 24 fps drawn on twos (48 frames, 24 drawings), 160x90, H.264 + AAC
//   episode.mkv        the same clip in Matroska
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { resolveFfmpeg, samplePose, sampleSvg, writeSampleClip } from '@anime-upscaler/core'

export const KIT_FILES = ['picture.png', 'shots/a.png', 'shots/b.png', 'shots/c.jpg', 'clip.mp4', 'episode.mkv'] as const
const WIDTH = 160
const HEIGHT = 90

/** Makes the kit once in `dir`. */
export async function makeExampleKit(dir: string): Promise<void> {
  mkdirSync(join(dir, 'shots'), { recursive: true })
  await sharp(Buffer.from(sampleSvg(WIDTH, HEIGHT))).png().toFile(join(dir, 'picture.png'))
  await sharp(Buffer.from(sampleSvg(WIDTH, HEIGHT, samplePose(3)))).png().toFile(join(dir, 'shots', 'a.png'))
  await sharp(Buffer.from(sampleSvg(WIDTH, HEIGHT, samplePose(7)))).png().toFile(join(dir, 'shots', 'b.png'))
  await sharp(Buffer.from(sampleSvg(WIDTH, HEIGHT, samplePose(11)))).jpeg({ quality: 90 }).toFile(join(dir, 'shots', 'c.jpg'))
  await writeSampleClip(join(dir, 'clip.mp4'), WIDTH, HEIGHT)
  await promisify(execFile)(resolveFfmpeg(), ['-v', 'error', '-i', join(dir, 'clip.mp4'), '-map', '0', '-c', 'copy', join(dir, 'episode.mkv')])
}

/** Copies the kit into an example's folder. */
export function copyExampleKit(kit: string, dir: string): void {
  mkdirSync(dir, { recursive: true })
  cpSync(kit, dir, { recursive: true })
}
