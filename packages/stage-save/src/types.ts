/** An RGB image: interleaved R, G, B; 8-bit in a Uint8Array or 16-bit in a Uint16Array. */
export interface RgbSaveImage {
  data: Uint8Array | Uint16Array
  width: number
  height: number
  channels: 3
}

/**
 * An image already in the encoder's colour space: Y'CbCr 4:2:0, planar (Y' width x height, then Cb
 * and Cr, each width/2 x height/2; even sizes), 8-bit (`yuv420p`, Uint8Array) or 10-bit values in
 * 16-bit words (`yuv420p10le`, Uint16Array). It goes to the encoder unconverted, so its matrix and
 * range must be the ones the output is tagged with (`resolveColor`).
 */
export interface Yuv420SaveImage {
  format: 'yuv420p' | 'yuv420p10le'
  data: Uint8Array | Uint16Array
  width: number
  height: number
  /** ffmpeg's name of the RGB→YUV matrix, e.g. 'bt709'. */
  matrix: string
  range: 'tv' | 'pc'
}

export type SaveImage = RgbSaveImage | Yuv420SaveImage

/**
 * The frame shape stage-save accepts. Either `image` is set, or `duplicateOf` names an earlier
 * kept frame whose image is written again at this frame's own timestamp.
 */
export interface FrameToSave {
  /** Position in the stream; indices must be contiguous from `firstIndex` (default 0). */
  index: number
  /** Presentation time in seconds. Required unless `frameRate` is given. */
  pts?: number
  image?: SaveImage
  /** This frame repeats the kept frame with that index (the image is not sent again). */
  duplicateOf?: number
}

/** Events emitted by `saveFrames`, in this order: started, written/saved..., finished. */
export type SaveEvent =
  /** ffmpeg was started (lazily, on the first frame to write). */
  | { type: 'started'; pid: number; command: readonly string[]; temporary: string }
  /** ffmpeg accepted this frame from its stdin: a credit upstream may spend. */
  | { type: 'written'; index: number }
  /** Image mode: this frame's file is in place. */
  | { type: 'saved'; index: number; file: string }
  /** The output is complete (or, with `keepPartial` after a stop, finalised with `partial: true`). */
  | { type: 'finished'; output: string; frames: number; partial: boolean }
