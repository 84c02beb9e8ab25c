import type { OperatorFunction } from 'rxjs'
import type { ChangedRegion, TileChanges } from './tiles'

/**
 * An RGB image as stage-extract decodes it: interleaved R, G, B, row-major, no padding; 8-bit in a
 * Uint8Array or 16-bit (full 0..65535 scale) in a Uint16Array.
 */
export interface DetectImage {
  data: Uint8Array | Uint16Array
  width: number
  height: number
  channels: number
}

/** The frame shape stage-detect accepts: an index and an image. Other fields pass through. */
export interface DetectFrame {
  /** Position in the stream; frames must arrive in increasing index order. */
  index: number
  image: DetectImage
}

/** What stage-detect adds to each frame. */
export interface Detection {
  /**
   * Set on a duplicate: the index of the kept frame it repeats, one of the last `references` kept
   * frames (the last one with the default `references: 1`). Absent on kept (unique) frames.
   */
  duplicateOf?: number
  /** Set on kept frames when `tiles` is on: the tiles to upscale again (the others reuse their output). */
  changedTiles?: TileChanges
}

/**
 * A custom detector's answer for one frame: `true` repeats the last kept frame, `false` keeps the
 * frame, or an object that names the kept frame it repeats (`duplicateOf`, any kept frame still
 * held) or, for a kept frame, the regions of the source that changed (`changed`, with `tiles` on).
 */
export type Verdict = boolean | VerdictObject

export interface VerdictObject {
  /** The index of a held kept frame this frame repeats; absent: the frame is kept. */
  duplicateOf?: number
  /**
   * Kept frames with `tiles` on: the source rectangles that changed against what produced each
   * tile's current output. Tiles whose window (tile and halo) meets one are upscaled again, the
   * others reuse their output, instead of the built-in block comparison deciding.
   */
  changed?: readonly ChangedRegion[]
}

/** A frame as it leaves `detectDuplicates`. */
export type DetectedFrame<F extends DetectFrame = DetectFrame> = F & Detection

/** The built-in detectors. `mpdecimate` is another name for `default`. */
export type BuiltinDetectorName = 'default' | 'mpdecimate' | 'hash' | 'exact' | 'off'

/**
 * The simplest custom detector: true when `current` repeats `previousKept` (the last frame that was
 * kept), so that `current` can be skipped. `held` is every kept frame still held (the last
 * `references`, most recent first: `held[0]` is `previousKept`); answer `{ duplicateOf: held[i].index }`
 * to call `current` a repeat of an older one. May return a promise. Never called for the first frame.
 */
export type CompareFunction<F extends DetectFrame = DetectFrame> = (previousKept: F, current: F, held: readonly F[]) => Verdict | Promise<Verdict>

/** A custom detector with setup and teardown around each stream. */
export interface CompareDetector<F extends DetectFrame = DetectFrame> {
  /** Shown in errors (default: the module path, or 'custom'). */
  name?: string
  /** Called once per stream (subscription), before the first `compare`; frames wait for it. */
  init?(): void | Promise<void>
  /** Same contract as a `CompareFunction`. */
  compare(previousKept: F, current: F, held: readonly F[]): Verdict | Promise<Verdict>
  /** Called once when the stream ends: completes, fails or is unsubscribed. */
  close?(): void | Promise<void>
}

/**
 * A custom detector written as an RxJS operator: it receives every frame, in order, and emits one
 * verdict per frame, in the same order: `true` when the frame repeats the last frame it kept,
 * `{ duplicateOf }` naming an older kept frame still held (one of the last `references` kept), or
 * `false` (or `{ changed }`) to keep it. The first frame's verdict is ignored: it is always kept.
 * It may emit asynchronously and use any RxJS machinery (buffering, lookahead, concurrency) as long
 * as the verdicts stay in order.
 */
export interface OperatorDetector<F extends DetectFrame = DetectFrame> {
  name?: string
  operator: OperatorFunction<F, Verdict>
}

export type CustomDetector<F extends DetectFrame = DetectFrame> = CompareFunction<F> | CompareDetector<F> | OperatorDetector<F>

export interface DetectOptions<F extends DetectFrame = DetectFrame> {
  /**
   * `'default'` (mpdecimate-like, also `'mpdecimate'`), `'hash'`, `'exact'`, `'off'`, a custom
   * detector, or the path of a module exporting one (`'./my-detector.mjs'`, resolved from the working
   * directory). Default: `'default'`.
   */
  detector?: BuiltinDetectorName | CustomDetector<F> | (string & {})
  /** default detector: largest SAD of any 8x8 block (8-bit limited-range YCbCr). Default 768 (64x12). */
  hi?: number
  /** default detector: SAD above which an 8x8 block counts against `frac`. Default 192 (64x3). */
  lo?: number
  /** default detector: share of blocks (per 16x16 area, as mpdecimate counts) allowed above `lo`. Default 0.33. */
  frac?: number
  /** Most duplicates in a row; the next frame is kept whatever the detector says. Default Infinity. */
  maxRun?: number
  /**
   * How many of the last kept frames a frame is compared with (the most recent first); a frame may
   * repeat any of them (mouth flaps A-B-A, cuts back to a shot). Default 1. Whoever repeats the
   * results must hold as many (stage-save's `duplicateCacheSize`).
   */
  references?: number
  /** Measure each kept frame's changed tiles (`changedTiles`) for stage-upscale's tile reuse. Off by default. */
  tiles?: TileOptions
  /** default detector: matrix for RGB -> YCbCr; 'auto' is BT.709 from 1280 wide or 577 high, BT.601 below. */
  matrix?: 'auto' | 'bt601' | 'bt709'
  /** hash detector: image-hash's `bits` (hash of bits² bits). Default 16. */
  hashBits?: number
  /** hash detector: image-hash's `precise` flag (blockhash method 2). Default true. */
  hashPrecise?: boolean
  /** hash detector: largest Hamming distance counted as a repeat. Default 0 (equal hashes). */
  hashDistance?: number
  /** Run built-in detectors in a worker thread (default true); false runs them synchronously on the calling thread. */
  worker?: boolean
  /** Frames handed to the worker ahead of the current one. Default 4. */
  concurrency?: number
}

/** The `tiles` option: the grid of tile reuse and its threshold. */
export interface TileOptions {
  /** Tile side in source pixels, a multiple of 8. Default `DEFAULT_TILE_SIZE` (48). */
  size?: number
  /** Source pixels around each tile whose change also changes it: at least the model's receptive radius (stage-upscale's `TileReuser.halo`). */
  halo: number
  /** An 8x8 block whose sum of absolute differences against the tile's reference is above this changes the tile. Default `DEFAULT_TILE_THRESHOLD`. */
  threshold?: number
}
