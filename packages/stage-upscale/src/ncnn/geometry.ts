/**
 * Where each feature map of a fully convolutional network sits relative to its input, per axis,
 * so that an import knows its scale, the border its valid convolutions eat, its receptive radius
 * and the size alignment its strided layers need: everything tiling needs to be exact.
 *
 * For an input of length L, a feature map has length `scale·L + offset`; its element j is centred
 * on input coordinate `j / scale + shift` (input pixel i is centred on i) and depends on input
 * pixels at most `radius` from that centre. Global pooling is left out of the radius: the pooled
 * means are computed over the whole picture separately (see ../imported.ts).
 */
export interface Axis {
  scale: number
  offset: number
  shift: number
  radius: number
}

export const INPUT_AXIS: Axis = { scale: 1, offset: 0, shift: 0, radius: 0 }

/** A convolution of kernel `kernel`, dilation `dilation`, stride `stride` and paddings `before`/`after`. */
export function convolveAxis(axis: Axis, kernel: number, dilation: number, stride: number, before: number, after: number): Axis {
  const extent = (kernel - 1) * dilation + 1
  const half = ((kernel - 1) * dilation) / 2
  return {
    scale: axis.scale / stride,
    offset: Math.floor((axis.offset + before + after - extent) / stride) + 1,
    shift: axis.shift + (half - before) / axis.scale,
    radius: axis.radius + half / axis.scale,
  }
}

/** A transposed convolution: each input element spreads over `kernel` outputs, `stride` apart, `before`/`after` cropped. */
export function deconvolveAxis(axis: Axis, kernel: number, dilation: number, stride: number, before: number, after: number, outputPad: number): Axis {
  const extent = (kernel - 1) * dilation + 1
  const half = ((kernel - 1) * dilation) / 2
  return {
    scale: axis.scale * stride,
    offset: (axis.offset - 1) * stride + extent + outputPad - before - after,
    shift: axis.shift + (before - half) / (stride * axis.scale),
    radius: axis.radius + half / (stride * axis.scale),
  }
}

/** Repeating each element `factor` times (nearest upscaling, pixel shuffle): output j reads input ⌊j / factor⌋. */
export function repeatAxis(axis: Axis, factor: number): Axis {
  const spread = (factor - 1) / (2 * factor * axis.scale)
  return { scale: axis.scale * factor, offset: axis.offset * factor, shift: axis.shift - spread, radius: axis.radius + spread }
}

/** Keeping every `step`-th element (nearest downscaling by an integer). */
export function subsampleAxis(axis: Axis, step: number): Axis {
  return { scale: axis.scale / step, offset: Math.floor(axis.offset / step), shift: axis.shift, radius: axis.radius }
}

/** Interpolating with half-pixel centres by `factor` (an integer or 1/integer), taps up to `support` elements away. */
export function interpolateAxis(axis: Axis, factor: number, support: number): Axis {
  return {
    scale: axis.scale * factor,
    offset: Math.floor(axis.offset * factor),
    shift: axis.shift + (0.5 / factor - 0.5) / axis.scale,
    radius: axis.radius + support / axis.scale,
  }
}

/** Dropping `before` elements at the start and keeping `scale·L + offset` of them. */
export function cropAxis(axis: Axis, before: number, offset: number): Axis {
  return { ...axis, offset, shift: axis.shift + before / axis.scale }
}

/** Padding by `before`/`after` elements; `reach` when the padding copies image values (edge, reflect) rather than a constant. */
export function padAxis(axis: Axis, before: number, after: number, reach: boolean): Axis {
  return {
    ...axis,
    offset: axis.offset + before + after,
    shift: axis.shift - before / axis.scale,
    radius: reach ? axis.radius + Math.max(before, after) / axis.scale : axis.radius,
  }
}

/** Several maps combined element-wise: they must have the same size; the radius covers any misalignment. */
export function mergeAxes(axes: Axis[]): Axis | undefined {
  const [first] = axes
  if (axes.some((a) => a.scale !== first.scale || a.offset !== first.offset)) return undefined
  return { ...first, radius: Math.max(...axes.map((a) => a.radius + Math.abs(a.shift - first.shift))) }
}

/** Input-size multiple a strided layer needs so that every window it sees is cut the same way as the whole picture. */
export function alignmentFor(axis: Axis, stride: number): number {
  return stride > 1 ? Math.max(1, stride / axis.scale) : 1
}
