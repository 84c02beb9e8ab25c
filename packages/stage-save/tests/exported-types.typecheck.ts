// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import type { Observable } from 'rxjs'
import { resolveOptions, saveFrames, type FrameToSave, type SaveEvent, type SaveOptions } from '../src/index'

declare const options: SaveOptions
declare const frames: Observable<FrameToSave>

const events: Observable<SaveEvent> = frames.pipe(saveFrames(options))
resolveOptions(options)
frames.pipe(saveFrames({ output: 'out.mkv', codec: 'libx265', pixFmt: 'yuv420p10le', frameRate: '24000/1001', source: 'in.mkv', signal: new AbortController().signal }))
frames.pipe(saveFrames({ output: 'frames', mode: 'images', imageFormat: 'webp', quality: 90 }))
// Frames of any of the image kinds, and duplicates without an image.
const rgb: FrameToSave = { index: 0, pts: 0, image: { data: new Uint8Array(12), width: 2, height: 2, channels: 3 } }
const yuv: FrameToSave = { index: 1, pts: 0.04, image: { format: 'yuv420p', data: new Uint8Array(6), width: 2, height: 2, matrix: 'bt709', range: 'tv' } }
const repeat: FrameToSave = { index: 2, pts: 0.08, duplicateOf: 1 }
void [events, rgb, yuv, repeat]

// @ts-expect-error output is required
saveFrames({ codec: 'libx264' })
// @ts-expect-error codec is one of VIDEO_CODECS
saveFrames({ output: 'out.mkv', codec: 'h264' })
