import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { LineSplitter, ManagedProcess, isRunning, runProcess, waitForExit } from '../src'

describe('ManagedProcess', () => {
  test('keeps the last stderr lines and reports the exit', async () => {
    const proc = new ManagedProcess(process.execPath, ['-e', 'for (let i = 0; i < 40; i++) console.error("line " + i); process.exit(3)'], { tailLines: 5 })
    expect(await proc.exited).toEqual({ code: 3, signal: null })
    expect(proc.stderrTail()).toEqual(['line 35', 'line 36', 'line 37', 'line 38', 'line 39'])
  })

  test('stop() ends a process that ignores SIGTERM within the grace period', async () => {
    const proc = new ManagedProcess(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); console.error("ready"); setInterval(() => {}, 1000)'], {
      onStderrLine: (line) => line === 'ready' && void proc.stop(300),
    })
    const started = performance.now()
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(performance.now() - started).toBeLessThan(5000)
  })

  test('a binary that cannot start resolves exited and says why', async () => {
    const proc = new ManagedProcess('/no/such/binary', [])
    expect(await proc.exited).toEqual({ code: null, signal: null })
    expect(proc.spawnError?.message).toMatch(/ENOENT/)
    await expect(proc.write(Buffer.alloc(1), Buffer.alloc(1))).rejects.toThrow(/no longer accepts input/)
  })
})

describe('runProcess', () => {
  test('collects output, and an abort kills the command and rejects with E_ABORTED', async () => {
    expect(await runProcess(process.execPath, ['-e', 'console.log("out"); console.error("err")'])).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' })
    const controller = new AbortController()
    const running = runProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { signal: controller.signal })
    setImmediate(() => controller.abort())
    await expect(running).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(runProcess('/no/such/binary', [])).rejects.toMatchObject({ code: 'E_SPAWN' })
  })
})

describe('isRunning', () => {
  test('a live process runs; an ended one does not, also as a zombie no one collects', async () => {
    expect(isRunning(process.pid)).toBe(true)
    // bash starts `sleep 0` and becomes `sleep 5`, which never collects it: `sleep 0` ends as a zombie.
    const parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] })
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))))
    try {
      await new Promise((resolve) => setTimeout(resolve, 300))
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
