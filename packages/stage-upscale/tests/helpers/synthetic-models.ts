/**
 * Small ncnn models with random weights shaped like the real families, written to a folder as
 * .param + .bin: they exercise padding, borders, alignment and global pooling without the test
 * material.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NcnnModelBuilder } from './ncnn-model'
import { random } from './ncnn-reference'

const weights = (seed: number, n: number, scale: number) => {
  const next = random(seed)
  return Float32Array.from({ length: n }, () => next() * scale)
}

/**
 * Like waifu2x CUNet: valid convolutions, a stride-2 level with a squeeze-and-excitation block,
 * a crop of the skip connection and a 4x4 deconvolution to 2x (border 4, alignment 2).
 */
export function seNetwork(): NcnnModelBuilder {
  const b = new NcnnModelBuilder().layer('Input', 'input', [], ['Input1'])
  const w = (seed: number, n: number, scale = 0.3) => b.float16(weights(seed, n, scale))
  w(1, 8 * 3 * 9)
  b.raw(weights(2, 8, 0.1))
  b.layer('Convolution', 'c1', ['Input1'], ['a'], '0=8 1=3 5=1 6=216 9=2 -23310=1,0.1').layer('Split', 's1', ['a'], ['a1', 'a2'])
  w(3, 8 * 8 * 4)
  b.layer('Convolution', 'down', ['a1'], ['b'], '0=8 1=2 3=2 6=256 9=2 -23310=1,0.1')
  w(4, 8 * 8 * 9)
  b.layer('Convolution', 'c2', ['b'], ['c'], '0=8 1=3 6=576 9=2 -23310=1,0.1').layer('Split', 's2', ['c'], ['c1', 'c2'])
  b.layer('Pooling', 'gap', ['c1'], ['g'], '0=1 4=1')
  w(5, 2 * 8, 0.5)
  b.layer('InnerProduct', 'fc1', ['g'], ['f1'], '0=2 2=16 9=1')
  w(6, 8 * 2, 0.5)
  b.layer('InnerProduct', 'fc2', ['f1'], ['f2'], '0=8 2=16 9=4').layer('Scale', 'se', ['c2', 'f2'], ['d'], '0=-233')
  w(7, 8 * 8 * 4)
  b.layer('Deconvolution', 'up', ['d'], ['e'], '0=8 1=2 3=2 6=256 9=2 -23310=1,0.1')
  b.layer('Crop', 'skip', ['a2', 'e'], ['k'], '0=2 1=2').layer('Eltwise', 'sum', ['k', 'e'], ['f'], '0=1')
  w(8, 3 * 8 * 16, 0.2)
  return b.layer('Deconvolution', 'out', ['f'], ['Eltwise4'], '0=3 1=4 3=2 4=3 6=384')
}

/** Like Real-ESRGAN animevideov3: padded 3x3 convolutions with PReLU, pixel shuffle to 2x, plus a nearest 2x of the input. */
export function compactNetwork(): NcnnModelBuilder {
  const b = new NcnnModelBuilder().layer('Input', 'input', [], ['data']).layer('Split', 'split', ['data'], ['d1', 'd2'])
  b.float16(weights(11, 8 * 3 * 9, 0.3))
  b.raw(weights(12, 8, 0.1))
  b.layer('Convolution', 'c1', ['d1'], ['a'], '0=8 1=3 4=1 5=1 6=216')
  b.raw(weights(13, 8, 0.2))
  b.layer('PReLU', 'p1', ['a'], ['b'], '0=8')
  b.float16(weights(14, 12 * 8 * 9, 0.1))
  b.layer('Convolution', 'c2', ['b'], ['c'], '0=12 1=3 4=1 6=864')
  b.layer('PixelShuffle', 'ps', ['c'], ['d'], '0=2').layer('Interp', 'base', ['d2'], ['e'], '0=1 1=2.0 2=2.0')
  return b.layer('BinaryOp', 'add', ['d', 'e'], ['output'], '0=0')
}

/** Writes the model's .param and .bin into `dir`; returns the .param path. */
export function writeModel(dir: string, name: string, builder: NcnnModelBuilder): string {
  const { param, bin } = builder.build()
  writeFileSync(join(dir, `${name}.param`), param)
  writeFileSync(join(dir, `${name}.bin`), bin)
  return join(dir, `${name}.param`)
}
