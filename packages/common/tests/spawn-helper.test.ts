import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ManagedProcess, isRunning, runProcess, stopSpawnHelper, useSpawnHelper, waitForExit } from '../src'

/** The parent pid in /proc/<pid>/stat ("pid (comm) state ppid …"). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
}

/** A file's text, or '' once it is gone. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** Waits for a process to print its first stderr line. */
async function startedSleeper(): Promise<ManagedProcess> {
  let ready: () => void
  const printed = new Promise<void>((resolve) => (ready = resolve))
  const proc = await ManagedProcess.start(process.execPath, ['-e', 'console.error("ready"); setInterval(() => {}, 1000)'], { onStderrLine: () => ready() })
  await printed
  return proc
}

describe('the spawn helper', () => {
  afterEach(() => stopSpawnHelper())

  test('forks the processes in its place: their parent is the helper, not this process', async () => {
    useSpawnHelper()
    const proc = await startedSleeper()
    const helper = parentOf(proc.pid!)
    expect(helper).not.toBe(process.pid)
    expect(parentOf(helper)).toBe(process.pid)
    await proc.stop(0)
  })

  test('a process that writes at once and exits loses nothing: the helper never reads the pipes it hands over', async () => {
    useSpawnHelper()
    const results = []
    for (let i = 0; i < 100; i++) results.push(await runProcess('/bin/sh', ['-c', 'echo out; echo err >&2']))
    expect(results.filter((r) => r.stdout !== 'out\n' || r.stderr !== 'err\n' || r.code !== 0)).toEqual([])
  })

  test('processes started together that exit at once all run, each with its own output', async () => {
    useSpawnHelper()
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => ManagedProcess.start('/bin/sh', ['-c', `echo ${i} >&2`])))
    const ends = await Promise.all(started.map(async (proc) => ({ status: await proc.exited, error: proc.spawnError?.message, stderr: proc.stderrText() })))
    expect(ends).toEqual(Array.from({ length: 20 }, (_, i) => ({ status: { code: 0, signal: null }, error: undefined, stderr: String(i) })))
  })

  test('a helper that dies takes what it started with it; the next process starts here', async () => {
    useSpawnHelper()
    const proc = await startedSleeper()
    const helper = parentOf(proc.pid!)
    process.kill(helper, 'SIGKILL')
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGKILL' })
    expect(await waitForExit(proc.pid!)).toBe(true)
    const next = await startedSleeper()
    expect(parentOf(next.pid!)).toBe(process.pid)
    await next.stop(0)
  })

  test('killed while pipes are on their way to it, a process still leaves nothing running', async () => {
    // Twenty processes at once: their pipes queue in the helper, each waiting for the one before to
    // be acknowledged; the user dies at the first one's arrival, with the others still queued.
    const common = join(__dirname, '..', 'dist', 'index.cjs')
    const marker = `${30 + Math.random()}`.slice(0, 9)
    const script = `const c = require(${JSON.stringify(common)}); c.useSpawnHelper(); for (let i = 0; i < 20; i++) c.ManagedProcess.start('sleep', ['${marker}']).then((p) => { process.stdout.write(String(p.pid) + '\\n', () => process.kill(process.pid, 'SIGKILL')) }); setInterval(() => {}, 1000)`
    const user = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const printed = await new Promise<string>((resolve) => user.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())))
    const helper = parentOf(Number(printed.split('\n')[0]))
    await new Promise((resolve) => user.once('exit', resolve))
    const sleepers = () => readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && isRunning(Number(pid)) && readText(`/proc/${pid}/cmdline`).includes(marker))
    const deadline = Date.now() + 3000
    while ((isRunning(helper) || sleepers().length > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect({ helper: isRunning(helper), sleepers: sleepers().length }).toEqual({ helper: false, sleepers: 0 })
  })

  test('killed with SIGKILL, a process leaves nothing running: its helper and what the helper started end', async () => {
    const common = join(__dirname, '..', 'dist', 'index.cjs')
    const script = `const c = require(${JSON.stringify(common)}); c.useSpawnHelper(); c.ManagedProcess.start('sleep', ['30']).then((p) => process.stdout.write(String(p.pid ?? p.spawnError.message) + '\\n')); setInterval(() => {}, 1000)`
    const user = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let sleeper: number
    let helper: number
    try {
      const printed = await new Promise<string>((resolve) => user.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())))
      expect(printed).toMatch(/^\d+\n$/)
      sleeper = Number(printed)
      helper = parentOf(sleeper)
      expect(parentOf(helper)).toBe(user.pid)
    } finally {
      user.kill('SIGKILL')
    }
    const deadline = Date.now() + 3000
    while ((isRunning(helper) || isRunning(sleeper)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect({ helper: isRunning(helper), sleeper: isRunning(sleeper) }).toEqual({ helper: false, sleeper: false })
  })
})
