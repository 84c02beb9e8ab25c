// Models imported with `anime-upscaler models import` appear in the page's list and run by name.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { importModel, listModels, readImage } from '@anime-upscaler/core'
import { buildAnime4kOnnx, loadAnime4kWeights } from '@anime-upscaler/stage-upscale'
import { startServer, type RunningServer } from '../src'
import type { ConfigView, JobView, UploadView } from '../src/api-types'
import { FAST, makeImage, useTempDir, waitFor } from './helpers'

const temp = useTempDir()
let server: RunningServer
const savedDataHome = process.env.XDG_DATA_HOME

beforeAll(async () => {
  // The default models folder follows XDG_DATA_HOME; job processes inherit it.
  process.env.XDG_DATA_HOME = join(temp(), 'data')
  const onnx = join(temp(), 'small.onnx')
  writeFileSync(onnx, buildAnime4kOnnx(loadAnime4kWeights('s')))
  await importModel(onnx, { name: 'my-model' })
  server = await startServer({ port: 0, maxConcurrentJobs: 1 })
})
afterAll(async () => {
  await server.close()
  if (savedDataHome === undefined) delete process.env.XDG_DATA_HOME
  else process.env.XDG_DATA_HOME = savedDataHome
})

const url = (path: string) => new URL(path, server.url)
const json = async <T>(path: string, init?: RequestInit) => (await (await fetch(url(path), init)).json()) as T

test('/api/config lists the imported model after the built-in ones, with its scale and origin', async () => {
  const { models } = await json<ConfigView>('/api/config')
  expect(models.map((model) => model.id)).toEqual([...listModels().map((model) => model.id), 'my-model'])
  expect(models.at(-1)).toEqual({ id: 'my-model', description: 'Imported from small.onnx', scale: 2 })
})

test('a job upscales with the imported model chosen by name', async () => {
  const picture = await makeImage(join(temp(), 'in.png'), 24, 16)
  const upload = await json<UploadView>('/api/uploads', { method: 'POST', body: readFileSync(picture), headers: { 'X-File-Name': 'in.png' } })
  const response = await fetch(url('/api/jobs'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ uploads: [upload.id], settings: { ...FAST, model: 'my-model' } }),
  })
  expect(response.status).toBe(201)
  const { job } = (await response.json()) as { job: JobView }
  const done = await waitFor(async () => {
    const view = (await json<{ job: JobView }>(`/api/jobs/${job.id}`)).job
    return ['done', 'failed', 'stopped'].includes(view.state) ? view : undefined
  }, 'the job to finish')
  expect(done.state).toBe('done')
  const { image: output } = await readImage(join(server.workDir, 'jobs', job.id, 'out', 'output-1.png'))
  expect([output.width, output.height]).toEqual([48, 32])
})
