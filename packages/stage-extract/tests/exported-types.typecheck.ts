// Compile-only: `pnpm lint` (tsc) checks this file; nothing here runs. Each exported option type
// must be accepted, as a value of that type, by every function that takes it.
import type { Observable } from 'rxjs'
import { extractFrames, planExtraction, probe, readFrame, type DecodedFrame, type ExtractOptions, type MediaInfo, type ProbeOptions, type ReadFrameOptions } from '../src/index'

declare const probeOptions: ProbeOptions
declare const extractOptions: ExtractOptions
declare const readFrameOptions: ReadFrameOptions
declare const info: MediaInfo

const probed: Promise<MediaInfo> = probe('in.mkv', probeOptions)
const frames: Observable<DecodedFrame> = extractFrames('in.mkv', extractOptions)
const frame: Promise<DecodedFrame> = readFrame('in.mkv', 10, readFrameOptions)
planExtraction(info, extractOptions)
// A ReadFrameOptions is a valid ExtractOptions (readFrame decodes through extractFrames).
extractFrames('in.mkv', readFrameOptions)
void [probed, frames, frame]

// @ts-expect-error pixelFormat is rgb24, rgb48 or auto
extractFrames('in.mkv', { pixelFormat: 'yuv420p' })
// @ts-expect-error readFrame takes no demand: it decodes one frame
void readFrame('in.mkv', 0, { demand: undefined as unknown as Observable<number> })
