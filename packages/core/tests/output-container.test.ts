import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { outputContainer, probe, resolveFfmpeg, type MediaInfo, type StreamChoices, type VideoCodec } from '../src'
import { FIXTURES, useTempDir } from './helpers'

const temp = useTempDir()

const ASS = `[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:00.20,Default,,0,0,0,,Hello
`

/** A 0.2 s clip made by ffmpeg's test sources: `video` and `audio` encoders, and optional extras. */
function makeClip(name: string, video: string, audio: string, extra: { subtitles?: 'ass' | 'mov_text'; font?: boolean } = {}): string {
  const output = join(temp(), name)
  const inputs = ['-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24:duration=0.2', '-f', 'lavfi', '-i', 'sine=duration=0.2']
  const maps = ['-map', '0:v', '-map', '1:a']
  if (extra.subtitles) {
    const subtitles = join(temp(), 'subtitles.ass')
    writeFileSync(subtitles, ASS)
    inputs.push('-i', subtitles)
    maps.push('-map', '2:s', '-c:s', extra.subtitles)
  }
  if (extra.font) {
    const font = join(temp(), 'font.ttf')
    writeFileSync(font, 'not really a font, but an attachment all the same')
    maps.push('-attach', font, '-metadata:s:t', 'mimetype=application/x-truetype-font')
  }
  execFileSync(resolveFfmpeg(), ['-y', '-v', 'error', ...inputs, ...maps, '-c:v', video, '-c:a', audio, ...(audio === 'libopus' ? ['-ar', '48000'] : []), output])
  return output
}

const probed = new Map<string, MediaInfo>()
async function source(name: string, make: () => string): Promise<MediaInfo> {
  if (!probed.has(name)) probed.set(name, await probe(make()))
  return probed.get(name)!
}

const clips: Record<string, () => string> = {
  'h264-aac.mp4': () => makeClip('h264-aac.mp4', 'libx264', 'aac'),
  'h264-opus.mkv': () => makeClip('h264-opus.mkv', 'libx264', 'libopus'),
  'h264-aac-ass.mkv': () => makeClip('h264-aac-ass.mkv', 'libx264', 'aac', { subtitles: 'ass' }),
  'h264-aac-ass-font.mkv': () => makeClip('h264-aac-ass-font.mkv', 'libx264', 'aac', { subtitles: 'ass', font: true }),
  'h264-aac-mov_text.mp4': () => makeClip('h264-aac-mov_text.mp4', 'libx264', 'aac', { subtitles: 'mov_text' }),
  'vp9-opus.webm': () => makeClip('vp9-opus.webm', 'libvpx-vp9', 'libopus'),
}

describe('outputContainer', () => {
  test.each<[string, VideoCodec, StreamChoices, string]>([
    ['h264-aac.mp4', 'libx264', {}, 'mp4'],
    ['h264-aac.mp4', 'libx265', {}, 'mp4'],
    ['h264-aac.mp4', 'libvpx-vp9', {}, 'mkv'], // WebM cannot hold AAC
    ['h264-aac.mp4', 'libvpx-vp9', { audioCodec: 'libopus' }, 'webm'],
    ['h264-aac.mp4', 'ffv1', {}, 'mkv'],
    ['h264-opus.mkv', 'libx264', {}, 'mkv'], // MP4 cannot hold Opus (with the bundled ffmpeg)
    ['h264-opus.mkv', 'libx264', { audioCodec: 'aac' }, 'mp4'],
    ['h264-opus.mkv', 'libx264', { audioCodec: 'none' }, 'mp4'],
    ['h264-opus.mkv', 'libvpx-vp9', {}, 'webm'],
    ['h264-aac-ass.mkv', 'libx264', {}, 'mkv'], // MP4 cannot hold ASS subtitles
    ['h264-aac-ass.mkv', 'libx264', { subtitleCodec: 'mov_text' }, 'mp4'],
    ['h264-aac-ass.mkv', 'libx264', { subtitleCodec: 'none' }, 'mp4'],
    ['h264-aac-ass.mkv', 'libvpx-vp9', { audioCodec: 'libopus', subtitleCodec: 'webvtt' }, 'webm'],
    ['h264-aac-ass-font.mkv', 'libx264', { subtitleCodec: 'mov_text' }, 'mkv'], // fonts go in Matroska only
    ['h264-aac-ass-font.mkv', 'libx264', { subtitleCodec: 'none', attachments: 'none' }, 'mp4'],
    ['h264-aac-mov_text.mp4', 'libx264', {}, 'mp4'],
    ['h264-aac-mov_text.mp4', 'libvpx-vp9', {}, 'mp4'], // neither WebM nor Matroska holds mov_text
    ['vp9-opus.webm', 'libvpx-vp9', {}, 'webm'],
    ['vp9-opus.webm', 'libx264', {}, 'mkv'],
  ])('%s with %s %j → %s', async (name, codec, choices, expected) => {
    const info = await source(name, clips[name])
    expect(outputContainer(info, codec, choices)).toBe(expected)
  })

  const hero = join(FIXTURES, 'video', 'hero_360p.webm')
  ;(existsSync(hero) ? test : test.skip)('the WebM/Opus fixture with the default codec goes to Matroska', async () => {
    expect(outputContainer(await probe(hero), 'libx264')).toBe('mkv')
  })

  test('depends on the streams only: a plain object will do', () => {
    const streams = [{ type: 'audio', codec: 'opus' }] as MediaInfo['streams']
    expect(outputContainer({ streams }, 'libx264')).toBe('mkv')
    expect(outputContainer({ streams: [] }, 'libx264')).toBe('mp4')
  })
})
