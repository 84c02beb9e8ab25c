import type { Rational } from './types'

/** One line of ffmpeg's stderr (run with `-loglevel repeat+level+info`), classified. */
export type LogLine =
  /** showinfo's `config in time_base: 1/1000`: the unit of the `pts:` values that follow. */
  | { kind: 'timebase'; timeBase: Rational }
  /** showinfo's per-frame line; `pts` in time-base ticks, undefined for NOPTS. */
  | { kind: 'frame'; n: number; pts: number | undefined }
  /** Any other line of showinfo (colour, side data): not interesting. */
  | { kind: 'showinfo' }
  /** Everything else, with the level ffmpeg gave it and the text without the level tag. */
  | { kind: 'message'; level: string; text: string }

const LEVEL = /\[(trace|debug|verbose|info|warning|error|fatal|panic)\] ?/
const SHOWINFO_PREFIX = /^\[[^\]]*showinfo[^\]]*\]\s*(?:\[[a-z]+\]\s*)?/

export function parseLogLine(line: string): LogLine {
  const prefix = SHOWINFO_PREFIX.exec(line)
  if (prefix) {
    const rest = line.slice(prefix[0].length)
    const frame = /^n:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\b/.exec(rest)
    if (frame) return { kind: 'frame', n: Number(frame[1]), pts: frame[2] === 'NOPTS' ? undefined : Number(frame[2]) }
    const config = /^config in time_base:\s*(\d+)\/(\d+)/.exec(rest)
    if (config && Number(config[1]) > 0 && Number(config[2]) > 0) return { kind: 'timebase', timeBase: { num: Number(config[1]), den: Number(config[2]) } }
    return { kind: 'showinfo' }
  }
  const level = LEVEL.exec(line)
  return { kind: 'message', level: level ? level[1] : 'info', text: level ? line.replace(level[0], '') : line }
}
