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
