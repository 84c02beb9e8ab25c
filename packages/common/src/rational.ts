/** An exact ratio such as a frame rate (24000/1001) or a time base (1/1000). */
export interface Rational {
  num: number
  den: number
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}

export function reduce(r: Rational): Rational {
  const g = gcd(r.num, r.den) || 1
  return { num: r.num / g, den: r.den / g }
}

/** A rational close to a decimal number: integers exactly, NTSC-like rates as n*1000/1001. */
export function rationalFromNumber(value: number): Rational {
  if (Number.isInteger(value)) return { num: value, den: 1 }
  for (const den of [1001, 100, 1000, 1000000]) {
    const num = Math.round(value * den)
    if (Math.abs(num / den - value) < 1e-9 * Math.max(1, value)) return reduce({ num, den })
  }
  return reduce({ num: Math.round(value * 1000000), den: 1000000 })
}

/** Parses `24000/1001`, `1:1`, `25` (or a positive number) into a reduced rational; undefined for `0/0`, `N/A`, zero or garbage. */
export function parseRational(text: unknown): Rational | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? rationalFromNumber(text) : undefined
  if (typeof text !== 'string') return undefined
  const match = /^\s*(\d+)\s*(?:[/:]\s*(\d+))?\s*$/.exec(text)
  if (!match) return undefined
  const num = Number(match[1])
  const den = match[2] === undefined ? 1 : Number(match[2])
  if (num <= 0 || den <= 0 || !Number.isSafeInteger(num) || !Number.isSafeInteger(den)) return undefined
  return reduce({ num, den })
}

export function toNumber(r: Rational): number {
  return r.num / r.den
}

export function sameRational(a: Rational | undefined, b: Rational | undefined): boolean {
  return !!a && !!b && a.num * b.den === b.num * a.den
}
