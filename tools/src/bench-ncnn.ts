/**
 * Imported ncnn models: how to store their weights, and what exact global pooling costs.
 *
 * 1. Weights as float16 (as ncnn stores them; a Cast that onnxruntime folds at load makes them
 *    float32) against float32: file size, session creation, inference time of the whole graph on
 *    one window, whether the outputs are identical, and whether onnxruntime runs the same graph
 *    once each is loaded (loaded-graph.ts).
 * 2. Models with squeeze-and-excitation (global pooling): the engine on one window (its cut
 *    models chained), tiled with the tiles' intermediate results kept (chained per tile), and tiled
 *    with too little memory for that (each pooling's stage recomputing the tiles), against
 *    onnxruntime running the converted graph directly.
 *
 *   pnpm bench:ncnn [--ncnn DIR] [--size 256] [--runs 5] [--models cunet,upconv7]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import * as ort from 'onnxruntime-node'
import { convertNcnnModel, UpscaleEngine, type EngineImage } from '@anime-upscaler/stage-upscale'
import { loadedGraphDigest } from './loaded-graph'
import { NCNN_TEST_MODELS, type NcnnTestModel } from './ncnn-models'
import { findRepoRoot } from './repo-root'

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * Median milliseconds of `runs` calls of each function after two warm-up calls of each, the
 * functions taking turns so that a machine's changing load affects them alike.
 */
async function timeInTurns(runs: number, calls: Array<() => Promise<unknown>>): Promise<number[]> {
  for (const call of calls) {
    await call()
    await call()
  }
  const times = calls.map((): number[] => [])
  for (let i = 0; i < runs; i++) {
    for (const [c, call] of calls.entries()) {
      const started = performance.now()
      await call()
      times[c].push(performance.now() - started)
    }
  }
  return times.map(median)
}

function input(size: number): Float32Array {
  return Float32Array.from({ length: 3 * size * size }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011))
}

async function storageRow(model: NcnnTestModel, ncnnDir: string, size: number, runs: number): Promise<string[]> {
  const param = path.join(ncnnDir, model.param)
  const bytes = [readFileSync(param), readFileSync(param.replace(/\.param$/, '.bin'))] as const
  const variants = []
  for (const weights of ['float16', 'float32'] as const) {
    const { onnx, metadata } = convertNcnnModel(...bytes, { param, bin: param }, { weights })
    const window = Math.ceil(size / metadata.align) * metadata.align
    const feeds = { [metadata.input]: new ort.Tensor('float32', input(window), [1, 3, window, window]) }
    const create = () => ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
    const session = await create()
    const output = (await session.run(feeds))[metadata.output].data as Float32Array
    const load = async () => (await create()).release()
    variants.push({ megabytes: onnx.length / 1e6, load, output, run: () => session.run(feeds), session, graph: await loadedGraphDigest(onnx) })
  }
  const [half, full] = variants
  const identical = half.output.length === full.output.length && half.output.every((v, i) => v === full.output[i])
  const [halfLoad, fullLoad] = await timeInTurns(runs, [half.load, full.load])
  const [halfMs, fullMs] = await timeInTurns(runs, [half.run, full.run])
  await Promise.all(variants.map((v) => v.session.release()))
  const milliseconds = [halfLoad, fullLoad, halfMs, fullMs].map((ms) => ms.toFixed(0))
  return [model.name, half.megabytes.toFixed(2), full.megabytes.toFixed(2), ...milliseconds, identical ? 'yes' : 'no', half.graph === full.graph ? 'yes' : 'no']
}

function picture(size: number): EngineImage {
  const data = Uint8Array.from({ length: 3 * size * size }, (_, i) => Math.round(128 + 100 * Math.sin(i * 0.37) * Math.cos(i * 0.011)))
  return { data, width: size, height: size, channels: 3 }
}

async function poolingRow(model: NcnnTestModel, ncnnDir: string, size: number, runs: number): Promise<string[] | undefined> {
  const param = path.join(ncnnDir, model.param)
  const { onnx, metadata } = convertNcnnModel(readFileSync(param), readFileSync(param.replace(/\.param$/, '.bin')), { param, bin: param })
  if (metadata.pools.length === 0) return undefined
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-ncnn-'))
  try {
    const file = path.join(dir, 'model.onnx')
    writeFileSync(file, onnx)
    // The same window the engine runs: the picture with the program's padding, rounded up to the alignment.
    const window = Math.ceil((size + 2 * metadata.padding.size) / metadata.align) * metadata.align
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1 })
    const feeds = { [metadata.input]: new ort.Tensor('float32', input(window), [1, 3, window, window]) }
    const half = Math.ceil(size / 2)
    const engines = await Promise.all(
      ([['auto', 16 * 1024 ** 3], [half, 16 * 1024 ** 3], [half, 1]] as const).map(([tile, memoryBudget]) =>
        UpscaleEngine.create({ model: file, threads: 1, tile, memoryBudget, callBudgetMs: 3_600_000 }),
      ),
    )
    try {
      const image = picture(size)
      const [direct, ...engineMs] = await timeInTurns(runs, [() => session.run(feeds), ...engines.map((engine) => () => engine.upscale(image))])
      return [model.name, direct.toFixed(0), ...engineMs.map((ms) => `${ms.toFixed(0)} (${(ms / direct).toFixed(2)}x)`)]
    } finally {
      await Promise.all([session.release(), ...engines.map((engine) => engine.close())])
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
}

async function main(): Promise<void> {
  // Sessions opened here directly: without this, onnxruntime's telemetry files stay in the temp folder.
  process.env.ORT_DISABLE_TELEMETRY ??= '1'
  const { values } = parseArgs({ options: { ncnn: { type: 'string' }, size: { type: 'string' }, runs: { type: 'string' }, models: { type: 'string' } } })
  const root = findRepoRoot()
  const ncnnDir = path.resolve(values.ncnn ?? path.resolve(root ?? '.', '../shared/models/ncnn'))
  const size = Number(values.size ?? 256)
  const runs = Number(values.runs ?? 5)
  const names = values.models?.split(',')
  const models = NCNN_TEST_MODELS.filter((m) => !names || names.includes(m.name))
  console.log(`# Imported ncnn models: ${size}x${size} input, median of ${runs} runs after 2 warm-up runs, one onnxruntime thread\n`)
  const storage: string[][] = []
  for (const m of models) storage.push(await storageRow(m, ncnnDir, size, runs))
  console.log(
    table(['model', 'file MB f16', 'file MB f32', 'load ms f16', 'load ms f32', 'run ms f16', 'run ms f32', 'same output', 'same graph once loaded'], storage),
  )
  const pooling: string[][] = []
  for (const m of models) {
    const row = await poolingRow(m, ncnnDir, size, runs)
    if (row) pooling.push(row)
  }
  if (pooling.length === 0) return
  const half = Math.ceil(size / 2)
  console.log(`\n## Global pooling: the engine (${size}x${size} picture, padded as the program does; no call budget) against the graph run directly on that window\n`)
  console.log(table(['model', 'graph ms', 'engine, one window ms', `${half} px tiles, intermediates kept ms`, `${half} px tiles, recomputed ms`], pooling))
}

main().catch((error: unknown) => {
  console.error(`bench:ncnn: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
