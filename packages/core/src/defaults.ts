import { availableParallelism, totalmem } from 'node:os'
import { DEFAULT_THRESHOLDS, DEFAULT_TILE_SIZE, DEFAULT_TILE_THRESHOLD } from '@anime-upscaler/stage-detect'
import { DEFAULT_CRF, DEFAULT_PRESET } from '@anime-upscaler/stage-save'
import { DEFAULT_CALL_BUDGET_MS, DEFAULT_MODEL, MAX_THREADS_PER_CORE, defaultLayout } from '@anime-upscaler/stage-upscale'

/**
 * 16 frames keep every stage busy on 2 cores: hero_360p.webm with anime4k-l ran as fast as with 64
 * (27.1-27.4 s vs 27.5-30.2 s with duplicates skipped) with ~150 MiB less memory (docs/speed.md).
 */
const CAPACITY = 16

/** Largest image accepted by default, in pixels: 16384², checked from the header before decoding. */
const MAX_INPUT_PIXELS = 16384 * 16384

/**
 * Largest output by default, in pixels: what 32 bytes per pixel of this machine's memory allow (a
 * 16-bit RGBA result and its encoding), and never more than a typed array of 16-bit RGBA can hold.
 */
export function defaultMaxOutputPixels(memory = totalmem()): number {
  return Math.floor(Math.min(2 ** 31 / 4, memory / 32))
}

/**
 * Every default of the library, in one place: the CLI's help and the web app read them here.
 * Stage defaults come from the stages themselves.
 */
export const DEFAULTS = Object.freeze({
  model: DEFAULT_MODEL,
  /** `concurrent`: every stage at once. */
  mode: 'concurrent' as const,
  /** The original app's threshold below which `auto` runs sequentially. */
  autoThreshold: 100,
  frameFormat: 'auto' as const,
  capacity: CAPACITY,
  /** Target length of a segment of a segmented job, in seconds (see docs/speed.md). */
  segmentSeconds: 60,
  /** Bytes the frames in flight may take. */
  bufferMemory: 1024 ** 3,
  maxInputPixels: MAX_INPUT_PIXELS,
  maxOutputPixels: defaultMaxOutputPixels(),
  callBudgetMs: DEFAULT_CALL_BUDGET_MS,
  maxThreadsPerCore: MAX_THREADS_PER_CORE,
  layout: defaultLayout(availableParallelism()),
  encoder: Object.freeze({
    /** libvpx-vp9 for .webm outputs. */
    codec: 'libx264' as const,
    crf: DEFAULT_CRF,
    preset: DEFAULT_PRESET,
    /** 8-bit sources; sources above 8 bits keep 10 bits (yuv420p10le). */
    pixFmt: 'yuv420p' as const,
    highBitDepthPixFmt: 'yuv420p10le' as const,
    audioCodec: 'copy' as const,
    subtitleCodec: 'copy' as const,
    attachments: 'copy' as const,
  }),
  dedup: Object.freeze({ detector: 'default' as const, ...DEFAULT_THRESHOLDS }),
  /**
   * Reuse of earlier results (see `UpscaleVideoOptions.reuse`). `tiles` meets issue 12's quality bar
   * end to end on both fixture clips (tools/tests/reuse.test.ts, anime4k-l, against reuse and
   * duplicates off): kept frames hero 51.9 dB mean / 46.6 min, short 50.0 / 46.1 (bar 48 / 40);
   * seams 0.95 vs 0.50, 1.92 vs 1.73 levels (bar +1); model work 47.9 % and 11.4 %. 8 references:
   * what the issue measured mouth flaps and cuts back to span; they cost no measurable detection
   * time, and memory bounds them (a 1280x720 Y'CbCr result is 1.4 MiB).
   */
  reuse: Object.freeze({ mode: 'tiles' as 'off' | 'frames' | 'tiles', references: 8, tileSize: DEFAULT_TILE_SIZE, threshold: DEFAULT_TILE_THRESHOLD }),
})
