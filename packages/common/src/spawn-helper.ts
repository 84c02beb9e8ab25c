/**
 * The spawn helper: a small Node process that starts ffmpeg and ffprobe for a big one and hands it
 * their pipes (see `useSpawnHelper`). It runs no code named by its requests' sender beyond the
 * command it is asked to start, which that sender could start itself.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import type { HelperReply, HelperRequest, SpawnRequest } from './spawner/protocol'

const children = new Map<number, ChildProcess>()

function reply(message: HelperReply, handle?: Socket): void {
  // A failed send means the parent is gone: 'disconnect' ends everything.
  process.send!(message, handle, {}, () => undefined)
}

function start({ id, command, args, stdio, cwd, env }: SpawnRequest): void {
  const child = spawn(command, args, { stdio, cwd, env, windowsHide: true })
  if (child.pid === undefined) {
    child.once('error', (error: NodeJS.ErrnoException) => reply({ type: 'failed', id, message: error.message, ...(error.code ? { code: error.code } : {}) }))
    return
  }
  children.set(id, child)
  const pipes = [child.stdin, child.stdout, child.stderr]
  // Pipes go one per message, each after the previous one's acknowledgement, so they wait here a
  // while. Node starts reading a child's output pipes at once, and bytes read here would be lost
  // to the parent: reading stops in the tick that made them, before the event loop has read
  // anything. And Node destroys a child's stdin when it exits: the child lets go of them.
  for (const pipe of pipes) (pipe as unknown as { _handle?: { readStop?(): number } } | null)?._handle?.readStop?.()
  Object.assign(child, { stdin: null, stdout: null, stderr: null, stdio: [null, null, null] })
  child.on('error', () => undefined) // a failed kill: the exit is what counts
  child.once('exit', (code, signal) => {
    children.delete(id)
    reply({ type: 'exit', id, code, signal })
  })
  reply({ type: 'spawned', id, pid: child.pid })
  pipes.forEach((pipe, fd) => {
    if (pipe) reply({ type: 'stdio', id, fd: fd as 0 | 1 | 2 }, pipe as Socket)
  })
}

process.on('message', (request: HelperRequest) => {
  if (request.type === 'spawn') start(request)
  else children.get(request.id)?.kill(request.signal)
})

/** The parent is gone (its exit, a crash, kill -9): nothing it asked for may outlive it. */
function orphaned(): void {
  for (const child of children.values()) child.kill('SIGKILL')
  process.exit(0)
}

process.on('disconnect', orphaned)
// Node emits no 'disconnect' when the channel closes while a pipe sent waits for its acknowledgement
// (the parent died as pipes were on their way): then the parent's pid tells, as this process is
// handed to another parent.
const parent = process.ppid
setInterval(() => process.ppid !== parent && orphaned(), 200).unref()
