import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { probe, writeImage } from '@anime-upscaler/core'
import { ffmpegPath } from '../src/media'

/** A temp folder removed after the test file's tests. */
export function useTempDir(): () => string {
  let dir = ''
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gradio-like-ui-test-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return () => dir
}

/** A small colourful RGB picture written as PNG (or jpg/webp by extension). */
export async function makeImage(path: string, width: number, height: number): Promise<string> {
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / height
      data[i + 2] = ((x >> 3) + (y >> 3)) % 2 === 0 ? 230 : 40
    }
  }
  const format = path.endsWith('.jpg') ? 'jpg' : path.endsWith('.webp') ? 'webp' : 'png'
  await writeImage({ data, width, height, channels: 3 }, path, { format, overwrite: true })
  return path
}

/**
 * A small H.264 clip made by ffmpeg's lavfi test source (with a tone, so audio copy is exercised).
 * With `drawnAt` below `rate`, each drawing is held for several frames, as anime "on twos".
 */
export function makeVideo(path: string, frames: number, size = '96x64', rate = 24, drawnAt = rate): string {
  const seconds = frames / rate
  execFileSync(ffmpegPath(), [
    '-y', '-v', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${drawnAt}:duration=${seconds},fps=${rate}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', path,
  ])
  return path
}

/**
 * A short clip as anime arrives: H.264 in Matroska with `audio` (an ffmpeg encoder), optionally
 * ASS subtitles and a font attachment, or VP9 + Opus in WebM (`webm`). At 25 fps, whose times
 * Matroska's milliseconds hold exactly: these clips test streams and containers, not timestamps.
 */
export function makeRichVideo(path: string, options: { audio?: string; subtitles?: boolean; font?: boolean; webm?: boolean } = {}): string {
  const dir = dirname(path)
  const args = ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=0.5', '-f', 'lavfi', '-i', 'sine=duration=0.5:sample_rate=48000']
  const maps = ['-map', '0:v', '-map', '1:a']
  if (options.subtitles) {
    const srt = join(dir, 'lines.srt')
    writeFileSync(srt, '1\n00:00:00,000 --> 00:00:00,400\nHello\n')
    args.push('-i', srt)
    maps.push('-map', '2:s', '-c:s', 'ass')
  }
  if (options.font) {
    const font = join(dir, 'font.ttf')
    writeFileSync(font, 'an attachment standing in for a font')
    maps.push('-attach', font, '-metadata:s:t', 'mimetype=application/x-truetype-font')
  }
  const codecs = options.webm ? ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-c:a', 'libopus'] : ['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', options.audio ?? 'aac']
  execFileSync(ffmpegPath(), [...args, ...maps, ...codecs, path])
  return path
}

/** The stream types of a media file, in order, as ffprobe lists them (via core's probe). */
export async function streamTypes(path: string): Promise<string[]> {
  return (await probe(path)).streams.map((stream) => `${stream.type}:${stream.codec}`)
}

/** A file with a PNG signature whose data is garbage: sniffed as PNG, fails to decode. */
export function corruptPng(): Buffer {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('this is not really a picture, just text after a PNG signature'.repeat(20))])
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** An HTTP request with the path sent exactly as given (fetch would normalise `../`). */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<RawResponse> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }))
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(options.body)
  })
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Settings that keep tests fast on a small shared machine. */
export const FAST = { model: 'anime4k-s', workers: 1, processing: 'concurrent', preset: 'ultrafast' }
