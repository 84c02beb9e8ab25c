#!/usr/bin/env node
// Detection speed of the built-in detectors, through the detectDuplicates() operator as a pipeline
// uses it (frames copied to the worker thread, verdicts back in order), at 640x360 and 1920x1080.
//
//   pnpm --filter @anime-upscaler/stage-detect build && node packages/stage-detect/bench/detect-speed.mjs [--frames N] [--detectors default,hash,exact]
//
// Frames: the first 48 frames of the shared fixture hero_360p.webm (drawn on twos: about a third are
// repeats), scaled with ffmpeg to each size; without the fixtures, ffmpeg's testsrc2 at 12 fps
// resampled to 24 fps (every picture twice). They are cycled to make --frames frames (default 240).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Observable, lastValueFrom, tap, count } from 'rxjs'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const dist = join(here, '..', 'dist', 'index.js')
if (!existsSync(dist)) {
  console.error(`${dist} is missing: build the package first (pnpm --filter @anime-upscaler/stage-detect build)`)
  process.exit(1)
}
const { detectDuplicates } = await import(dist)

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : fallback
}
const total = Number(option('frames', '240'))
const detectors = option('detectors', 'default,hash,exact').split(',')
const ffmpegPath = process.env.FFMPEG_PATH || require('@ffmpeg-installer/ffmpeg').path
const fixture = resolve(here, '../../../../shared/fixtures/video/hero_360p.webm')
const distinct = 48

function frames(width, height) {
  const input = existsSync(fixture) ? ['-i', fixture] : ['-f', 'lavfi', '-i', `testsrc2=s=640x360:r=12`]
  const rate = existsSync(fixture) ? [] : ['fps=24']
  const raw = execFileSync(
    ffmpegPath,
    ['-hide_banner', '-nostdin', '-v', 'error', ...input, '-map', '0:v:0', '-an', '-vf', [...rate, `scale=${width}:${height}:flags=bicubic`, 'format=rgb24'].join(','), '-frames:v', String(distinct), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 1 << 30 },
  )
  const size = width * height * 3
  return Array.from({ length: raw.length / size }, (_, i) => raw.subarray(i * size, (i + 1) * size))
}

/** Emits `total` frames as fast as they are taken, cycling through `images`. */
function source(images, width, height) {
  return new Observable((subscriber) => {
    for (let index = 0; index < total && !subscriber.closed; index++) {
      subscriber.next({ index, pts: index / 24, image: { data: images[index % images.length], width, height, channels: 3 } })
    }
    subscriber.complete()
  })
}

async function measure(images, width, height, detector) {
  let duplicates = 0
  const elu = performance.eventLoopUtilization()
  const start = performance.now()
  await lastValueFrom(
    source(images, width, height).pipe(
      detectDuplicates({ detector }),
      tap((f) => f.duplicateOf !== undefined && duplicates++),
      count(),
    ),
  )
  const ms = performance.now() - start
  const busy = performance.eventLoopUtilization(elu)
  return { fps: (total * 1000) / ms, mainMsPerFrame: busy.active / total, duplicates }
}

console.log(`stage-detect detection speed, ${total} frames per run (${existsSync(fixture) ? 'hero_360p.webm' : 'testsrc2'}), Node ${process.version}\n`)
console.log('size        detector   frames/s   main-thread ms/frame   duplicates')
for (const [width, height] of [[640, 360], [1920, 1080]]) {
  const images = frames(width, height)
  for (const detector of detectors) {
    await measure(images.slice(0, 8), width, height, detector) // warm-up: JIT, worker start
    const best = []
    for (let i = 0; i < 3; i++) best.push(await measure(images, width, height, detector))
    best.sort((a, b) => b.fps - a.fps)
    const r = best[0]
    console.log(`${`${width}x${height}`.padEnd(11)} ${detector.padEnd(10)} ${r.fps.toFixed(0).padStart(8)}   ${r.mainMsPerFrame.toFixed(2).padStart(20)}   ${String(r.duplicates).padStart(10)}`)
  }
}
console.log('\nframes/s: best of 3 runs through detectDuplicates(), worker start-up included; main-thread ms/frame: event-loop busy time (copying frames to the worker, RxJS).')
