import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ServerOptionError, startServer, type ServerOptions } from '../src'

// Issue 10, item 12: bad options are refused with structured fields a caller words in its own terms.
let parent = ''
beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), 'gradio-like-ui-options-'))
})
afterAll(() => rmSync(parent, { recursive: true, force: true }))

async function refusal(options: ServerOptions): Promise<ServerOptionError> {
  const error = await startServer({ port: 0, workDir: parent, ...options }).then(
    async (server) => {
      await server.close()
      throw new Error(`startServer(${JSON.stringify(options)}) did not refuse`)
    },
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(ServerOptionError)
  return error as ServerOptionError
}

test.each<[ServerOptions, Partial<ServerOptionError>, RegExp]>([
  [{ token: 'short' }, { code: 'E_INVALID_ARGUMENT', option: 'token', value: 'short' }, /^Expected at least 8 printable ASCII characters without spaces for token but received 5 characters/],
  [{ token: 'has spaces in it' }, { code: 'E_INVALID_ARGUMENT', option: 'token' }, /with spaces/],
  [{ port: 99999 }, { code: 'E_INVALID_ARGUMENT', option: 'port', value: 99999 }, /^Expected an integer from 0 to 65535 for port but received 99999/],
  [{ port: -1 }, { option: 'port', value: -1 }, /for port/],
  [{ maxFiles: 0 }, { option: 'maxFiles', value: 0 }, /^Expected a positive integer for maxFiles but received 0/],
  [{ maxUploadBytes: 1.5 }, { option: 'maxUploadBytes', value: 1.5 }, /positive integer/],
  [{ maxConcurrentJobs: -2 }, { option: 'maxConcurrentJobs' }, /positive integer/],
  [{ uploadGraceMs: -1 }, { option: 'uploadGraceMs' }, /milliseconds/],
  [{ host: '' }, { option: 'host' }, /for host/],
])('%j is refused: %j', async (options, fields, message) => {
  const error = await refusal(options)
  expect(error).toMatchObject(fields)
  expect(error.message).toMatch(message)
  expect(error.message).not.toMatch(/startServer/)
  expect(error.hint!.length).toBeGreaterThan(10)
  expect(error.message).toContain(error.hint!)
})

test('a port in use and a host that is not this machine: their own codes, the option named, nothing left behind', async () => {
  const server = await startServer({ port: 0, workDir: parent })
  try {
    const inUse = await refusal({ port: server.port })
    expect(inUse).toMatchObject({ code: 'E_PORT_IN_USE', option: 'port', value: server.port })
    expect(inUse.message).toMatch(new RegExp(`^Port ${server.port} on 127\\.0\\.0\\.1 is in use`))
  } finally {
    await server.close()
  }
  // 192.0.2.0/24 is reserved for documentation: never an address of this machine.
  const foreign = await refusal({ host: '192.0.2.1' })
  expect(foreign).toMatchObject({ code: 'E_HOST_UNAVAILABLE', option: 'host', value: '192.0.2.1' })
  expect(readdirSync(parent)).toEqual([])
})

describe('the start script (runFromCommandLine)', () => {
  const DIST = resolve(__dirname, '..', 'dist', 'index.js')
  const start = (...args: string[]) =>
    spawnSync(process.execPath, ['-e', `import(${JSON.stringify(DIST)}).then((m) => m.runFromCommandLine(process.argv.slice(1)))`, '--', '--work-dir', parent, ...args], { encoding: 'utf8', timeout: 30_000 })

  test.each([
    [['--port', '99999'], /^error: --port 99999 cannot be used: use 0 for any free port/],
    [['--token', 'short'], /^error: --token cannot be used: choose a longer token/],
    [['--max-files', '0'], /^error: --max-files 0 cannot be used/],
    [['--port', 'abc'], /^error: Expected a whole number for --port but received 'abc'/],
    [['--colour'], /^error: Unknown option '--colour'/],
  ])('%j exits 2 naming the flag', (args, message) => {
    const result = start(...args)
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/startServer|maxFiles|ServerOptionError|    at /)
    expect(readdirSync(parent)).toEqual([])
  })
})
