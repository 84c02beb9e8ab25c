import { Option, type Command } from 'commander'
import { PROVIDERS, runSegmentWorker, type Provider, type WorkerEvent } from '@anime-upscaler/core'
import type { CliIo, CommandContext } from '../context'
import { EXIT, type ExitCode } from '../exit-codes'
import { positiveInteger, positiveNumber } from '../options'

interface WorkerFlags {
  redis: string
  concurrency?: number
  modelFile: string[]
  detectorFile: string[]
  workers?: number
  threads?: number
  provider: Provider
  stallTimeout?: number
}

/** One line per thing a worker does, on stderr. */
function describe(event: WorkerEvent): string {
  switch (event.type) {
    case 'ready':
      return `Worker ${event.worker} waiting for segments from ${event.redis} (Ctrl-C hands the segments in progress back and stops)`
    case 'segment':
      return `Segment ${event.index} of job ${event.jobId} (${event.frames} frames of ${event.input})`
    case 'segment-done':
      return `Segment ${event.index} of job ${event.jobId} done: ${event.frames} frames in ${event.seconds.toFixed(1)} s (${(event.frames / event.seconds).toFixed(2)} fps)`
    case 'segment-failed':
      return `Segment ${event.index} of job ${event.jobId} failed: ${event.message}`
    case 'refused':
      return `Refused segment ${event.index} of job ${event.jobId}: ${event.reason}`
    case 'redis-error':
      return `Redis: ${event.message}`
  }
}

async function workerCommand(flags: WorkerFlags, io: CliIo): Promise<ExitCode> {
  await runSegmentWorker({
    redis: flags.redis,
    concurrency: flags.concurrency,
    modelFiles: flags.modelFile,
    detectorFiles: flags.detectorFile,
    pool: { workers: flags.workers, threads: flags.threads, provider: flags.provider },
    stallTimeout: flags.stallTimeout,
    signal: io.signal,
    onEvent: (event) => io.stderr.write(`${describe(event)}\n`),
  })
  return EXIT.interrupted
}

const collect = (value: string, previous: string[]) => [...previous, value]

/** `anime-upscaler worker --redis URL`: the distributed mode's worker (see docs/distributed.md). */
export function registerWorker(program: Command, { io, setResult }: CommandContext): void {
  program
    .command('worker')
    .description('Upscale segments of distributed jobs (upscale … --redis) from a Redis queue until stopped')
    .requiredOption('--redis <url>', 'redis://host:6379 or rediss://:password@host:6380 (TLS; a private CA via NODE_EXTRA_CA_CERTS)')
    .option('--concurrency <n>', 'segments worked on at once (default 1; they share the model workers)', positiveInteger('--concurrency'))
    .option('--model-file <file.onnx>', 'an imported model this worker may use, named by its file name in jobs (repeatable)', collect, [])
    .option('--detector-file <module>', 'a custom duplicate detector module this worker may load, named by its file name in jobs (repeatable)', collect, [])
    .option('--workers <n>', 'model sessions on this machine (default from its CPU count)', positiveInteger('--workers'))
    .option('--threads <n>', 'onnxruntime threads per model session', positiveInteger('--threads'))
    .addOption(new Option('--provider <name>', 'execution provider on this machine').choices(PROVIDERS).default('cpu'))
    .option('--stall-timeout <seconds>', "seconds without news after which a worker's segment is retried elsewhere (default 30)", positiveNumber('--stall-timeout'))
    .action((flags: WorkerFlags) => setResult(workerCommand(flags, io)))
}
