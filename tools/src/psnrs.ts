/** PSNRs of frames that differ from their reference (identical frames, of infinite PSNR, are only counted). */
export interface PsnrSummary {
  frames: number
  identical: number
  mean: number
  min: number
}

/** Accumulates per-frame PSNRs. */
export class Psnrs {
  private readonly values: number[] = []

  add(value: number): void {
    this.values.push(value)
  }

  summary(): PsnrSummary {
    const finite = this.values.filter(Number.isFinite)
    const mean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Infinity
    return { frames: this.values.length, identical: this.values.length - finite.length, mean, min: finite.length ? Math.min(...finite) : Infinity }
  }
}
