// block-mean.mjs: a custom duplicate detector for @anime-upscaler/stage-detect.
//
// A frame repeats the last kept frame when the mean luma of every 16x16 block differs by at most
// MAX_MEAN_DIFF (0-255). Block means are cached per kept frame, so each frame is scanned once.
//
//   detectDuplicates({ detector: './block-mean.mjs' })     or     anime-upscaler ... --detector ./block-mean.mjs

const BLOCK = 16
const MAX_MEAN_DIFF = 3

/** Mean luma of each 16x16 block (edge blocks may be smaller), in one pass over the frame. */
function blockMeans({ image: { data, width, height } }) {
  const shift = data.BYTES_PER_ELEMENT === 2 ? 8 : 0 // 16-bit frames: compare on the 8-bit scale
  const columns = Math.ceil(width / BLOCK)
  const sums = new Float64Array(columns * Math.ceil(height / BLOCK))
  const counts = new Float64Array(sums.length)
  for (let y = 0, i = 0; y < height; y++) {
    const row = ((y / BLOCK) | 0) * columns
    for (let x = 0; x < width; x++, i += 3) {
      const block = row + ((x / BLOCK) | 0)
      sums[block] += (77 * (data[i] >> shift) + 150 * (data[i + 1] >> shift) + 29 * (data[i + 2] >> shift)) >> 8
      counts[block]++
    }
  }
  for (let b = 0; b < sums.length; b++) sums[b] /= counts[b]
  return sums
}

// Frames are objects unique to their stream: a WeakMap cache is safe with several streams at once.
const cache = new WeakMap()
function meansOf(frame) {
  let means = cache.get(frame)
  if (!means) cache.set(frame, (means = blockMeans(frame)))
  return means
}

let compared = 0
let repeats = 0

export default {
  name: 'block-mean',

  // Optional: called once per stream before the first compare (may return a promise: load a model here).
  init() {
    compared = 0
    repeats = 0
  },

  // Required: true when `current` repeats `previousKept`. May return a promise of a boolean.
  compare(previousKept, current) {
    compared++
    const before = meansOf(previousKept)
    const after = blockMeans(current) // cached only if it is kept, which meansOf() does next time
    if (before.length !== after.length) return false
    for (let b = 0; b < after.length; b++) {
      if (Math.abs(after[b] - before[b]) > MAX_MEAN_DIFF) {
        cache.set(current, after)
        return false
      }
    }
    repeats++
    return true
  },

  // Optional: called once when the stream completes, fails or is unsubscribed.
  close() {
    if (process.env.DEBUG_DETECTOR) console.error(`block-mean: ${repeats} repeats in ${compared} comparisons`)
  },
}
