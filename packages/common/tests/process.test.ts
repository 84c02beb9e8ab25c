import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { LineSplitter, ManagedProcess, isRunning, runProcess, stopSpawnHelper, useSpawnHelper, waitForExit } from '../src'

describe.each([
  ['started here', false],
  ['started by the spawn helper', true],
])('processes %s', (_how, throughHelper) => {
  beforeAll(() => throughHelper && useSpawnHelper())
  afterAll(() => stopSpawnHelper())

  test('ManagedProcess keeps the last stderr lines and reports the exit', async () => {
    const proc = await ManagedProcess.start(process.execPath, ['-e', 'for (let i = 0; i < 40; i++) console.error("line " + i); process.exit(3)'], { tailLines: 5 })
    expect(await proc.exited).toEqual({ code: 3, signal: null })
    expect(proc.stderrTail()).toEqual(['line 35', 'line 36', 'line 37', 'line 38', 'line 39'])
  })

  test('ManagedProcess writes to stdin, waiting for the pipe, and end() lets the process finish', async () => {
    const proc = await ManagedProcess.start(process.execPath, ['-e', 'let n = 0; process.stdin.on("data", (c) => (n += c.length)).on("end", () => { console.error("got " + n); process.exit(0) })'])
    const body = Buffer.alloc(4 * 1024 * 1024, 7)
    for (let i = 0; i < 4; i++) await proc.write(Buffer.from('head'), body)
    expect(await proc.end()).toEqual({ code: 0, signal: null })
    expect(proc.stderrTail()).toEqual([`got ${4 * (4 + body.length)}`])
  })

  test('ManagedProcess.stop() ends a process that ignores SIGTERM within the grace period', async () => {
    let ready: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    const proc = await ManagedProcess.start(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); console.error("ready"); setInterval(() => {}, 1000)'], {
      onStderrLine: (line) => line === 'ready' && ready(),
    })
    await isReady
    const started = performance.now()
    expect(await proc.stop(300)).toEqual({ code: null, signal: 'SIGKILL' })
    expect(performance.now() - started).toBeLessThan(5000)
    expect(isRunning(proc.pid!)).toBe(false)
  })

  test('a binary that cannot start: ManagedProcess resolves exited and says why', async () => {
    const proc = await ManagedProcess.start('/no/such/binary', [])
    expect(await proc.exited).toEqual({ code: null, signal: null })
    expect(proc.pid).toBeUndefined()
    expect(proc.spawnError?.message).toMatch(/ENOENT/)
    await expect(proc.write(Buffer.alloc(1), Buffer.alloc(1))).rejects.toThrow(/no longer accepts input/)
  })

  test('runProcess collects output, and an abort kills the command and rejects with E_ABORTED', async () => {
    expect(await runProcess(process.execPath, ['-e', 'console.log("out"); console.error("err")'])).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' })
    const controller = new AbortController()
    const running = runProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { signal: controller.signal })
    setTimeout(() => controller.abort(), 50)
    await expect(running).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(runProcess('/no/such/binary', [])).rejects.toMatchObject({ code: 'E_SPAWN' })
  })

  test("runProcess gets every byte of a large output, the first ones included, in the caller's working folder", async () => {
    const script = 'process.stderr.write("first\\n"); for (let i = 0; i < 32; i++) process.stdout.write(Buffer.alloc(1 << 20, i)); console.log(process.cwd())'
    const result = await runProcess(process.execPath, ['-e', script])
    expect(result.stderr).toBe('first\n')
    const bytes = Buffer.from(result.stdout, 'latin1')
    expect(result.stdout.length).toBe(32 * (1 << 20) + process.cwd().length + 1)
    for (let i = 0; i < 32; i++) expect(bytes[i * (1 << 20)]).toBe(i)
  })
})

describe('isRunning', () => {
  test('a live process runs; an ended one does not, also as a zombie no one collects', async () => {
    expect(isRunning(process.pid)).toBe(true)
    // bash starts `sleep 0.2` and becomes `sleep 5`, which never collects it: `sleep 0.2` ends as a
    // zombie. (`sleep 0` could end before the exec, and bash collected it: CI saw ESRCH once.)
    const parent = spawn('bash', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] })
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))))
    try {
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect(() => process.kill(zombie, 0)).not.toThrow() // it still has its pid
      expect(isRunning(zombie)).toBe(false)
    } finally {
      parent.kill('SIGKILL')
    }
  })
})

describe('waitForExit', () => {
  test('resolves once a child has ended and been collected: not while it is a zombie', async () => {
    const child = spawn('true', { stdio: 'ignore' })
    // Node collects a child on its event loop: blocked meanwhile, the ended child stays a zombie.
    const until = Date.now() + 300
    while (Date.now() < until) {}
    expect(isRunning(child.pid!)).toBe(false)
    expect(existsSync(`/proc/${child.pid}`)).toBe(true)
    expect(await waitForExit(child.pid!)).toBe(true)
    expect(existsSync(`/proc/${child.pid}`)).toBe(false)
  })
})

describe('LineSplitter', () => {
  test('LineSplitter joins lines split across chunks and handles CR; blank lines are dropped', () => {
    const lines: string[] = []
    const splitter = new LineSplitter()
    splitter.push('ab', (l) => lines.push(l))
    splitter.push('c\nde\r\nf', (l) => lines.push(l))
    splitter.push('g\rh', (l) => lines.push(l))
    splitter.flush((l) => lines.push(l))
    expect(lines).toEqual(['abc', 'de', 'fg', 'h'])
  })
})
