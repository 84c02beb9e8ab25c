import type { OperatorFunction } from 'rxjs'

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
  /** Set on a duplicate: the index of the last kept frame it repeats. Absent on kept (unique) frames. */
  duplicateOf?: number
}

/** A frame as it leaves `detectDuplicates`. */
export type DetectedFrame<F extends DetectFrame = DetectFrame> = F & Detection

/** The built-in detectors. `mpdecimate` is another name for `default`. */
export type BuiltinDetectorName = 'default' | 'mpdecimate' | 'hash' | 'exact' | 'off'

/**
 * The simplest custom detector: true when `current` repeats `previousKept` (the last frame that was
 * kept), so that `current` can be skipped. May return a promise. Never called for the first frame.
 */
export type CompareFunction<F extends DetectFrame = DetectFrame> = (previousKept: F, current: F) => boolean | Promise<boolean>

/** A custom detector with setup and teardown around each stream. */
export interface CompareDetector<F extends DetectFrame = DetectFrame> {
  /** Shown in errors (default: the module path, or 'custom'). */
  name?: string
  /** Called once per stream (subscription), before the first `compare`; frames wait for it. */
  init?(): void | Promise<void>
  /** Same contract as a `CompareFunction`. */
  compare(previousKept: F, current: F): boolean | Promise<boolean>
  /** Called once when the stream ends: completes, fails or is unsubscribed. */
  close?(): void | Promise<void>
}

/**
 * A custom detector written as an RxJS operator: it receives every frame, in order, and emits one
 * verdict per frame, in the same order: `true` when the frame repeats the last frame it answered
 * `false` for (the first frame's verdict is ignored: it is always kept). It may emit asynchronously
 * and use any RxJS machinery (buffering, lookahead, concurrency) as long as the verdicts stay in order.
 */
export interface OperatorDetector<F extends DetectFrame = DetectFrame> {
  name?: string
  operator: OperatorFunction<F, boolean>
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
