import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'

/** Processes (other than jest) whose command line mentions `folder`: ffmpeg or a worker a run left behind. */
export function processesMentioning(folder: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid)
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      } catch {
        return ''
      }
    })
    .filter((cmdline) => cmdline.includes(folder) && !cmdline.includes('jest'))
}

/** The child processes of `pid` (from /proc: the fourth field of `stat` is the parent). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) === pid
      } catch {
        return false
      }
    })
    .map(Number)
}

/**
 * A crash of the command (what kill -9 of it was before bin.js ran the command in a work process):
 * the work process with its group (its ffmpeg) and bin.js die at once. kill -9 of bin.js alone
 * lets the work process stop cleanly instead (stops.test.ts).
 */
export function crash(entry: ChildProcess): void {
  for (const work of childrenOf(entry.pid!)) {
    try {
      process.kill(-work, 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
  entry.kill('SIGKILL')
}
