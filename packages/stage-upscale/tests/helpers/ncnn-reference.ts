/**
 * Plain-loop implementations of ncnn layers, written from ncnn's layer sources (Tencent/ncnn
 * src/layer/*.cpp): the independent reference the ONNX conversion is checked against.
 * A blob is CHW float32 (`FeatureMap`) or a 1-D vector.
 */
export interface FeatureMap {
  c: number
  h: number
  w: number
  data: Float32Array
}

export function map(c: number, h: number, w: number, fill: (i: number) => number = () => 0): FeatureMap {
  return { c, h, w, data: Float32Array.from({ length: c * h * w }, (_, i) => fill(i)) }
}

/** Deterministic pseudo-random values in [-1, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return ((state >>> 0) / 2 ** 32) * 2 - 1
  }
}

const at = (m: FeatureMap, c: number, y: number, x: number) => m.data[(c * m.h + y) * m.w + x]

export function activation(v: number, type: number, params: number[]): number {
  if (type === 1) return Math.max(v, 0)
  if (type === 2) return v > 0 ? v : v * params[0]
  if (type === 3) return Math.min(Math.max(v, params[0]), params[1])
  if (type === 4) return 1 / (1 + Math.exp(-v))
  return v
}

export interface ConvParams {
  outputs: number
  kernel: number
  stride?: number
  dilation?: number
  pad?: [number, number, number, number] // left, right, top, bottom
  group?: number
  weights: Float32Array
  bias?: Float32Array
  activation?: number
  activationParams?: number[]
}

/** ncnn Convolution: weights [out][in/group][kh][kw], zero padding. */
export function convolution(input: FeatureMap, p: ConvParams): FeatureMap {
  const { kernel: k, stride = 1, dilation = 1, pad = [0, 0, 0, 0], group = 1 } = p
  const [left, right, top, bottom] = pad
  const extent = (k - 1) * dilation + 1
  const outW = Math.floor((input.w + left + right - extent) / stride) + 1
  const outH = Math.floor((input.h + top + bottom - extent) / stride) + 1
  const inPerGroup = input.c / group
  const outPerGroup = p.outputs / group
  const out = map(p.outputs, outH, outW)
  for (let o = 0; o < p.outputs; o++) {
    const g = Math.floor(o / outPerGroup)
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        let sum = p.bias?.[o] ?? 0
        for (let i = 0; i < inPerGroup; i++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const sy = y * stride + ky * dilation - top
              const sx = x * stride + kx * dilation - left
              if (sy < 0 || sx < 0 || sy >= input.h || sx >= input.w) continue
              sum += at(input, g * inPerGroup + i, sy, sx) * p.weights[((o * inPerGroup + i) * k + ky) * k + kx]
            }
          }
        }
        out.data[(o * outH + y) * outW + x] = activation(sum, p.activation ?? 0, p.activationParams ?? [])
      }
    }
  }
  return out
}

/** ncnn Deconvolution: each input pixel scatters weights [out][in][kh][kw], then the padding is cut. */
export function deconvolution(input: FeatureMap, p: ConvParams & { outputPad?: number }): FeatureMap {
  const { kernel: k, stride = 1, dilation = 1, pad = [0, 0, 0, 0], outputPad = 0 } = p
  const extent = (k - 1) * dilation + 1
  const fullW = (input.w - 1) * stride + extent + outputPad
  const fullH = (input.h - 1) * stride + extent + outputPad
  const full = map(p.outputs, fullH, fullW, (i) => p.bias?.[Math.floor(i / (fullW * fullH))] ?? 0)
  for (let o = 0; o < p.outputs; o++) {
    for (let y = 0; y < input.h; y++) {
      for (let x = 0; x < input.w; x++) {
        for (let i = 0; i < input.c; i++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              full.data[(o * fullH + y * stride + ky * dilation) * fullW + x * stride + kx * dilation] += at(input, i, y, x) * p.weights[((o * input.c + i) * k + ky) * k + kx]
            }
          }
        }
      }
    }
  }
  const [left, right, top, bottom] = pad
  const cut = crop(full, 0, top, left, full.c, fullH - top - bottom, fullW - left - right)
  cut.data.forEach((v, i) => (cut.data[i] = activation(v, p.activation ?? 0, p.activationParams ?? [])))
  return cut
}

export function crop(input: FeatureMap, c0: number, y0: number, x0: number, c: number, h: number, w: number): FeatureMap {
  return map(c, h, w, (i) => {
    const x = i % w
    const y = Math.floor(i / w) % h
    const ch = Math.floor(i / (w * h))
    return at(input, c0 + ch, y0 + y, x0 + x)
  })
}

/** ncnn's cubic coefficients (Keys a = −0.75) with its handling of the borders, for one output coordinate. */
function cubicTaps(fx: number, length: number): Array<[number, number]> {
  let sx = Math.floor(fx)
  const t = fx - sx
  const A = -0.75
  const c0 = A * (t + 1) ** 3 - 5 * A * (t + 1) ** 2 + 8 * A * (t + 1) - 4 * A
  const c1 = (A + 2) * t ** 3 - (A + 3) * t ** 2 + 1
  const c2 = (A + 2) * (1 - t) ** 3 - (A + 3) * (1 - t) ** 2 + 1
  let a = [c0, c1, c2, 1 - c0 - c1 - c2]
  if (sx <= -1) [sx, a] = [1, [1 - a[3], a[3], 0, 0]]
  if (sx === 0) [sx, a] = [1, [a[0] + a[1], a[2], a[3], 0]]
  if (sx === length - 2) [sx, a] = [length - 3, [0, a[0], a[1], a[2] + a[3]]]
  if (sx >= length - 1) [sx, a] = [length - 3, [0, 0, a[0], 1 - a[0]]]
  return a.map((weight, i) => [sx - 1 + i, weight] as [number, number])
}

function linearTaps(fx: number, length: number): Array<[number, number]> {
  let sx = Math.floor(fx)
  let t = fx - sx
  if (sx < 0) [sx, t] = [0, 0]
  if (sx >= length - 1) [sx, t] = [length - 2, 1]
  return [
    [sx, 1 - t],
    [sx + 1, t],
  ]
}

/** ncnn Interp by scale factors: 1 nearest (floor), 2 bilinear, 3 bicubic, half-pixel centres. */
export function interp(input: FeatureMap, type: number, factorY: number, factorX: number): FeatureMap {
  const outW = Math.floor(input.w * factorX)
  const outH = Math.floor(input.h * factorY)
  const taps = (d: number, inLength: number, outLength: number): Array<[number, number]> => {
    if (type === 1) return [[Math.min(Math.floor(d * (inLength / outLength)), inLength - 1), 1]]
    const fx = (d + 0.5) * (inLength / outLength) - 0.5
    return type === 2 ? linearTaps(fx, inLength) : cubicTaps(fx, inLength)
  }
  return map(input.c, outH, outW, (i) => {
    const x = i % outW
    const y = Math.floor(i / outW) % outH
    const c = Math.floor(i / (outW * outH))
    let sum = 0
    for (const [sy, wy] of taps(y, input.h, outH)) for (const [sx, wx] of taps(x, input.w, outW)) sum += wy * wx * at(input, c, sy, sx)
    return sum
  })
}

/** ncnn PixelShuffle: mode 0 reads channel c·r² + i·r + j, mode 1 channel (i·r + j)·C + c. */
export function pixelShuffle(input: FeatureMap, r: number, mode: number): FeatureMap {
  const c = input.c / (r * r)
  return map(c, input.h * r, input.w * r, (i) => {
    const x = i % (input.w * r)
    const y = Math.floor(i / (input.w * r)) % (input.h * r)
    const p = Math.floor(i / (input.w * r * input.h * r))
    const q = mode === 0 ? p * r * r + (y % r) * r + (x % r) : ((y % r) * r + (x % r)) * c + p
    return at(input, q, Math.floor(y / r), Math.floor(x / r))
  })
}

/** ncnn Padding: 0 constant, 1 replicate, 2 reflect (without the edge pixel). */
export function padding(input: FeatureMap, top: number, bottom: number, left: number, right: number, type: number, value: number): FeatureMap {
  const index = (i: number, n: number) => (type === 1 ? Math.min(n - 1, Math.max(0, i)) : i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i)
  const w = input.w + left + right
  const h = input.h + top + bottom
  return map(input.c, h, w, (i) => {
    const x = (i % w) - left
    const y = (Math.floor(i / w) % h) - top
    const c = Math.floor(i / (w * h))
    if (type === 0 && (x < 0 || y < 0 || x >= input.w || y >= input.h)) return value
    return at(input, c, index(y, input.h), index(x, input.w))
  })
}

export function globalAverage(input: FeatureMap): Float32Array {
  return Float32Array.from({ length: input.c }, (_, c) => {
    let sum = 0
    for (let i = 0; i < input.h * input.w; i++) sum += input.data[c * input.h * input.w + i]
    return sum / (input.h * input.w)
  })
}

/** ncnn InnerProduct on a vector: weights [out][in]. */
export function innerProduct(input: Float32Array, outputs: number, weights: Float32Array, bias: Float32Array | undefined, type: number): Float32Array {
  return Float32Array.from({ length: outputs }, (_, o) => {
    let sum = bias?.[o] ?? 0
    for (let i = 0; i < input.length; i++) sum += weights[o * input.length + i] * input[i]
    return activation(sum, type, [])
  })
}

export function elementwise(a: FeatureMap, b: FeatureMap | Float32Array | number, op: (x: number, y: number) => number): FeatureMap {
  const hw = a.h * a.w
  return map(a.c, a.h, a.w, (i) => op(a.data[i], typeof b === 'number' ? b : b instanceof Float32Array ? b[Math.floor(i / hw)] : b.data[i]))
}

export function concat(maps: FeatureMap[]): FeatureMap {
  const data = new Float32Array(maps.reduce((n, m) => n + m.data.length, 0))
  let offset = 0
  for (const m of maps) {
    data.set(m.data, offset)
    offset += m.data.length
  }
  return { c: maps.reduce((n, m) => n + m.c, 0), h: maps[0].h, w: maps[0].w, data }
}
