/**
 * Long videos on more hands, distributed part (`pnpm bench:scale` runs the local part,
 * bench-scale.ts, then this). The distributed mode's scaling: one coordinator (`upscale --redis`) and 1 or 2 worker processes
 * (`anime-upscaler worker`), each worker pinned to its own core with taskset and given one model
 * session of one thread, on a Redis of its own (tools/src/redis-server.ts). Runs alternate (1, 2, 1,
 * 2 …) so the machine's changing load affects both alike; the table gives each count's median.
 * Then the model of docs/distributed.md for a 24-minute episode on N machines. The workers' busy
 * share (seconds on segments / (workers x segment phase)) says how well the work is spread,
 * whatever else runs on the machine; the speed-up needs an idle machine.
 *
 *   node tools/dist/bench-scale-distributed.js [--seconds 32] [--segment 4] [--repeat 2] [--model anime4k-s]
 *                                              [--size 640x360] [--model-only]
 *
 * Throughput is frames / wall time of the whole command (planning and join included), and of
 * its segment phase alone (from the first progress event to the last frame encoded).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { resolveFfmpeg } from '@anime-upscaler/core'
import { runProcess } from './bench/run-process'
import { scaleCurve, type Cluster, type Episode, type ScalePoint } from './bench/scale-model'
import { RedisServer } from './redis-server'
import { findRepoRoot } from './repo-root'

const BIN = path.join(findRepoRoot() ?? process.cwd(), 'packages/cli/dist/bin.js')

/** Aborted by Ctrl-C or a kill: the coordinator is stopped, then the workers, Redis and the folder go as after a run. */
const stop = new AbortController()

/** Sends SIGTERM to `child` when the benchmark is stopped (the CLI then stops cleanly). */
function stopWith(child: ChildProcess): ChildProcess {
  const kill = () => child.kill('SIGTERM')
  stop.signal.addEventListener('abort', kill, { once: true })
  child.once('exit', () => stop.signal.removeEventListener('abort', kill))
  return child
}

interface Measured {
  workers: number
  frames: number
  wallSeconds: number
  segmentSeconds: number
  /** Seconds the workers spent on segments, added up (from their own lines). */
  busySeconds: number
}

interface WorkerProcess {
  child: ChildProcess
  log(): string
}

/** A worker process on one core; resolves once it waits for segments. */
function startWorker(redis: string, core: number): Promise<WorkerProcess> {
  const child = spawn('taskset', ['-c', String(core), process.execPath, BIN, 'worker', '--redis', redis, '--workers', '1', '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  return new Promise((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk
      if (log.includes('waiting for segments')) resolve({ child, log: () => log })
    })
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${log}`)))
  })
}

/** Seconds a worker's log says its segments took. */
function busySeconds(log: string): number {
  return [...log.matchAll(/ done: \d+ frames in ([\d.]+) s/g)].reduce((sum, match) => sum + Number(match[1]), 0)
}

async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGTERM')
        }),
    ),
  )
}

/** The coordinator: wall time, and the segment phase from its JSON progress events. */
function coordinate(redis: string, input: string, output: string, model: string, segment: number): Promise<Omit<Measured, 'workers' | 'busySeconds'>> {
  const args = [BIN, 'upscale', input, '-o', output, '--overwrite', '--redis', redis, '--segments', String(segment), '--model', model, '--preset', 'ultrafast', '--dedup', 'off', '--json']
  const started = performance.now()
  const child = stopWith(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }))
  let firstProgress: number | undefined
  let lastFrame: number | undefined
  let frames = 0
  let buffer = ''
  let log = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      const event = JSON.parse(line) as { type: string; encoded?: number; total?: number; frames?: number }
      if (event.type === 'progress') {
        firstProgress ??= performance.now()
        if (event.encoded === event.total) lastFrame ??= performance.now()
      }
      if (event.type === 'done') frames = event.frames ?? 0
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-3000)))
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`coordinator exited with ${code}:\n${log}`))
      const wallSeconds = (performance.now() - started) / 1000
      resolve({ frames, wallSeconds, segmentSeconds: ((lastFrame ?? performance.now()) - (firstProgress ?? started)) / 1000 })
    })
  })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function measure(options: { seconds: number; segment: number; repeat: number; model: string; size: string }): Promise<Measured[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'anime-upscaler-bench-scale-'))
  const redis = await RedisServer.start()
  const results: Measured[] = []
  try {
    const input = path.join(dir, 'clip.mkv')
    // Keyframes every second, so segments are cut where asked.
    await runProcess(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${options.size}:rate=24:duration=${options.seconds}`, '-c:v', 'libx264', '-g', '24', '-pix_fmt', 'yuv420p', input])
    for (let round = 0; round < options.repeat; round++) {
      for (const count of [1, 2]) {
        if (stop.signal.aborted) throw new Error('stopped')
        const workers = await Promise.all(Array.from({ length: count }, (_, core) => startWorker(redis.url, core)))
        try {
          const run = await coordinate(redis.url, input, path.join(dir, `out-${count}.mkv`), options.model, options.segment)
          const busy = workers.reduce((sum, worker) => sum + busySeconds(worker.log()), 0)
          results.push({ workers: count, ...run, busySeconds: busy })
          process.stderr.write(`${count} worker(s): ${run.frames} frames, ${run.wallSeconds.toFixed(1)} s wall, ${run.segmentSeconds.toFixed(1)} s of segments, workers busy ${busy.toFixed(1)} s (load ${loadavg()[0].toFixed(2)})\n`)
        } finally {
          await stopWorkers(workers)
        }
      }
    }
  } finally {
    await redis.stop()
    await rm(dir, { recursive: true, force: true })
  }
  return results
}

function printMeasured(results: Measured[]): void {
  const rows = [1, 2].map((workers) => {
    const runs = results.filter((r) => r.workers === workers)
    // Busy share: how much of the segment phase each worker held a segment (1 = never idle), whatever the machine's load.
    const busy = median(runs.map((r) => r.busySeconds / (workers * r.segmentSeconds)))
    return { workers, frames: runs[0].frames, wall: median(runs.map((r) => r.wallSeconds)), segments: median(runs.map((r) => r.segmentSeconds)), busy }
  })
  console.log(`\n| workers (1 core each) | frames | wall s (median) | fps | segment phase s | fps of segments | workers busy |`)
  console.log('|---|---|---|---|---|---|---|')
  for (const row of rows) console.log(`| ${row.workers} | ${row.frames} | ${row.wall.toFixed(1)} | ${(row.frames / row.wall).toFixed(2)} | ${row.segments.toFixed(1)} | ${(row.frames / row.segments).toFixed(2)} | ${(100 * row.busy).toFixed(0)} % |`)
  console.log(`\nspeed-up of 2 workers over 1: ${(rows[0].wall / rows[1].wall).toFixed(2)}x wall, ${(rows[0].segments / rows[1].segments).toFixed(2)}x segment phase`)
}

function printCurve(points: ScalePoint[]): void {
  console.log('| machines | segments | minutes | of which planning + join | fps | speed-up | bound by |')
  console.log('|---|---|---|---|---|---|---|')
  for (const p of points) console.log(`| ${p.machines} | ${p.segments} | ${(p.seconds / 60).toFixed(1)} | ${(p.serialSeconds / 60).toFixed(1)} | ${p.fps.toFixed(1)} | ${p.speedup.toFixed(1)} | ${p.limit} |`)
}

function printModel(): void {
  const episode: Episode = { frames: 34_526, fps: 23.976, sourceMbps: 8, outputMbps: 40 }
  const cluster: Cluster = { machineFps: 0.85, segmentStartup: 3, storageMbps: 900, planSeconds: 5, redisOpsPerSecond: 50_000 }
  for (const length of [30, 60, 120]) {
    console.log(`\nModel: 24-minute episode, 1080p → 4K at ${cluster.machineFps} fps per machine, segments of ${length} s, storage ${cluster.storageMbps} Mbit/s`)
    printCurve(scaleCurve(length, episode, cluster))
  }
  const fast: Cluster = { ...cluster, machineFps: 30 }
  console.log(`\nModel: the same with GPU machines at ${fast.machineFps} fps each, segments of 60 s`)
  printCurve(scaleCurve(60, episode, fast))
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '32' },
      segment: { type: 'string', default: '4' },
      repeat: { type: 'string', default: '2' },
      model: { type: 'string', default: 'anime4k-s' },
      size: { type: 'string', default: '640x360' },
      'model-only': { type: 'boolean', default: false },
    },
  })
  if (!values['model-only']) {
    const results = await measure({ seconds: Number(values.seconds), segment: Number(values.segment), repeat: Number(values.repeat), model: values.model, size: values.size })
    printMeasured(results)
  }
  printModel()
}

const onSignal = (signal: NodeJS.Signals) => {
  process.stderr.write(`\n${signal}: stopping the run, its workers and Redis\n`)
  process.exitCode = 130
  stop.abort()
}
process.once('SIGINT', onSignal)
process.once('SIGTERM', onSignal)

main().catch((error: unknown) => {
  if (stop.signal.aborted) return
  console.error(error)
  process.exitCode = 1
})
