/**
 * CPU time and memory of this process and the processes it starts (ffmpeg, ffprobe), read from
 * Linux's /proc while they run.
 *
 * - This process: `process.cpuUsage()` deltas (getrusage(RUSAGE_SELF): every thread, so the worker
 *   threads, onnxruntime's intra-op threads and libvips' threads are included).
 * - Child processes: core does not hand out their pids, so every ~50 ms the sampler lists /proc,
 *   reads `stat` once for each pid it has not seen before and keeps those whose parent is this
 *   process, one of its children that ran before the start (common's spawn helper: ffmpeg is its
 *   child), or a child kept before.
 *   For each live child it reads utime+stime (fields 14-15 of /proc/<pid>/stat, in clock ticks,
 *   summed over the child's threads) and VmRSS (/proc/<pid>/status). A child's CPU time is its last
 *   sample, so up to one interval per child can be missed; the exact total over all reaped children
 *   of this process comes from cutime+cstime of /proc/self/stat, and the difference is reported as
 *   unsampled (the spawn helper's children are reaped by the helper: only their samples count).
 * - Peak RSS of the tree: at each sample, VmRSS of this process plus VmRSS of every live child; the
 *   maximum of that sum.
 * - Machine: busy ticks of the `cpu` line of /proc/stat, to tell how much CPU other processes used
 *   during the run (the machine may be shared).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { basename } from 'node:path'

export type Stage = 'decode' | 'encode' | 'probe' | 'other'

export interface ChildSample {
  pid: number
  command: string
  args: string[]
  stage: Stage
  cpuSeconds: number
  peakRssBytes: number
  /** ms since the sampler started. */
  firstSeen: number
  lastSeen: number
}

export interface SamplerReport {
  wallSeconds: number
  /** This process, every thread (process.cpuUsage delta), sampler included. */
  selfCpuSeconds: number
  /** Of selfCpuSeconds, the kernel's share. */
  selfSystemSeconds: number
  /**
   * Minor page faults of this process. Each ffmpeg that Node spawns forks this process first
   * (libuv forks on Linux), so every page it has written is write-protected until written again:
   * a spawn from a process of a few hundred MB costs tens of thousands of these.
   */
  selfMinorFaults: number
  /** Sampled CPU seconds of child processes per stage. */
  stageCpuSeconds: Record<Stage, number>
  /** Exact CPU seconds of all children that ended during the run (cutime+cstime delta). */
  childrenCpuSeconds: number
  /**
   * CPU seconds of the child processes: the larger of childrenCpuSeconds and the samples' sum (the
   * spawn helper's children are not this process's to reap: only their samples count).
   */
  childProcessesCpuSeconds: number
  /** childrenCpuSeconds minus the sampled per-child sums (short-lived children, last interval). */
  unsampledCpuSeconds: number
  peakTreeRssBytes: number
  /** VmHWM of this process at the end (its own peak, exact). */
  selfPeakRssBytes: number
  children: ChildSample[]
  samples: number
  /** Time the sampler itself spent reading /proc (inside selfCpuSeconds). */
  samplerMs: number
  machine: { busySeconds: number; stealSeconds: number; otherSeconds: number; loadBefore: number[]; loadAfter: number[] }
}

let clockTicks: number | undefined
/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, normally 100). */
export function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

// Indexes into statFields(): field n of proc(5) is at n - 3.
const PPID = 4 - 3
const UTIME = 14 - 3
const STIME = 15 - 3
const CUTIME = 16 - 3
const CSTIME = 17 - 3

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

function statusKb(text: string | undefined, key: string): number {
  if (!text) return 0
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
  return match ? Number(match[1]) : 0
}

function machineTicks(): { busy: number; steal: number } {
  const line = (readText('/proc/stat') ?? '').split('\n')[0]
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
  return { busy: user + nice + system + irq + softirq, steal: steal || 0 }
}

function loadAverage(): number[] {
  return (readText('/proc/loadavg') ?? '0 0 0').split(' ').slice(0, 3).map(Number)
}

export type Classifier = (command: string, args: string[]) => Stage

/** Which stage an ffmpeg child belongs to, from its command line. */
export const classifyFfmpeg: Classifier = (command, args) => {
  if (command.includes('ffprobe') || basename(args[0] ?? '').startsWith('ffprobe')) return 'probe'
  const inputs = args.filter((_, i) => i > 0 && args[i - 1] === '-i')
  // An ffmpeg with inputs and no output only reads the header (stage-save looks at the source's streams).
  if (args.length >= 2 && args[args.length - 2] === '-i') return 'probe'
  // Encoders read frames: core's from a pipe, the PNG design's from the upscaled PNGs.
  if (inputs.some((input) => input === 'pipe:0' || input.endsWith('.png'))) return 'encode'
  // Decoders write frames: core's to a pipe, the PNG design's to PNG files.
  const last = args[args.length - 1] ?? ''
  if (last === 'pipe:1' || last.endsWith('.png')) return 'decode'
  return 'other'
}

/** Samples this process and its children until `stop()`. */
export class TreeSampler {
  private readonly pid = process.pid
  private readonly ignored = new Set<number>()
  /** Processes whose new children are measured: this one, and its children running before the start. */
  private readonly parents = new Set<number>([process.pid])
  private readonly children = new Map<number, ChildSample & { live: boolean }>()
  private timer: NodeJS.Timeout | undefined
  private startedAt = 0
  private cpuBefore: NodeJS.CpuUsage = { user: 0, system: 0 }
  private faultsBefore = 0
  private childTicksBefore = 0
  private machineBefore = { busy: 0, steal: 0 }
  private loadBefore: number[] = []
  private peak = 0
  private samples = 0
  private samplerMs = 0

  constructor(
    private readonly classify: Classifier,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    // Everything already running is not ours to measure; but what our children that run already
    // (common's spawn helper) start during the run is.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      const pid = Number(name)
      this.ignored.add(pid)
      const stat = readText(`/proc/${pid}/stat`)
      if (stat && Number(statFields(stat)[PPID]) === this.pid) this.parents.add(pid)
    }
    this.ignored.delete(this.pid)
    this.startedAt = performance.now()
    this.cpuBefore = process.cpuUsage()
    this.faultsBefore = process.resourceUsage().minorPageFault
    this.childTicksBefore = this.selfChildTicks()
    this.machineBefore = machineTicks()
    this.loadBefore = loadAverage()
    this.sample()
    this.timer = setInterval(() => this.sample(), this.intervalMs)
  }

  stop(): SamplerReport {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.sample()
    const wallSeconds = (performance.now() - this.startedAt) / 1000
    const cpu = process.cpuUsage(this.cpuBefore)
    const machine = machineTicks()
    const tck = clkTck()
    const stageCpuSeconds: Record<Stage, number> = { decode: 0, encode: 0, probe: 0, other: 0 }
    const children = [...this.children.values()].map(({ live: _live, ...child }) => child)
    for (const child of children) stageCpuSeconds[child.stage] += child.cpuSeconds
    const childrenCpuSeconds = (this.selfChildTicks() - this.childTicksBefore) / tck
    const selfCpuSeconds = (cpu.user + cpu.system) / 1e6
    const sampled = children.reduce((sum, child) => sum + child.cpuSeconds, 0)
    const childProcessesCpuSeconds = Math.max(childrenCpuSeconds, sampled)
    const busySeconds = (machine.busy - this.machineBefore.busy) / tck
    return {
      wallSeconds,
      selfCpuSeconds,
      selfSystemSeconds: cpu.system / 1e6,
      selfMinorFaults: process.resourceUsage().minorPageFault - this.faultsBefore,
      stageCpuSeconds,
      childrenCpuSeconds,
      childProcessesCpuSeconds,
      unsampledCpuSeconds: Math.max(0, childrenCpuSeconds - sampled),
      peakTreeRssBytes: this.peak,
      selfPeakRssBytes: statusKb(readText('/proc/self/status'), 'VmHWM') * 1024,
      children,
      samples: this.samples,
      samplerMs: this.samplerMs,
      machine: {
        busySeconds,
        stealSeconds: (machine.steal - this.machineBefore.steal) / tck,
        otherSeconds: Math.max(0, busySeconds - selfCpuSeconds - childProcessesCpuSeconds),
        loadBefore: this.loadBefore,
        loadAfter: loadAverage(),
      },
    }
  }

  private selfChildTicks(): number {
    const fields = statFields(readText('/proc/self/stat') ?? '')
    return Number(fields[CUTIME]) + Number(fields[CSTIME])
  }

  private sample(): void {
    const began = performance.now()
    const now = began - this.startedAt
    const tck = clkTck()
    // New children: pids not seen before whose parent is this process or one of its children.
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      const pid = Number(name)
      if (this.ignored.has(pid) || this.children.has(pid)) continue
      const stat = readText(`/proc/${pid}/stat`)
      const parent = stat ? Number(statFields(stat)[PPID]) : 0
      if (!stat || !(this.parents.has(parent) || this.children.has(parent))) {
        this.ignored.add(pid)
        continue
      }
      const args = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((arg) => arg !== '')
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      this.children.set(pid, { pid, command, args, stage: this.classify(command, args), cpuSeconds: 0, peakRssBytes: 0, firstSeen: now, lastSeen: now, live: true })
    }
    let rss = statusKb(readText('/proc/self/status'), 'VmRSS') * 1024
    for (const child of this.children.values()) {
      if (!child.live) continue
      const stat = readText(`/proc/${child.pid}/stat`)
      if (!stat) {
        child.live = false
        continue
      }
      const fields = statFields(stat)
      child.cpuSeconds = (Number(fields[UTIME]) + Number(fields[STIME])) / tck
      child.lastSeen = now
      // A zombie (exited, not yet reaped) has final CPU times but no VmRSS.
      const childRss = statusKb(readText(`/proc/${child.pid}/status`), 'VmRSS') * 1024
      child.peakRssBytes = Math.max(child.peakRssBytes, childRss)
      rss += childRss
    }
    this.peak = Math.max(this.peak, rss)
    this.samples++
    this.samplerMs += performance.now() - began
  }
}
