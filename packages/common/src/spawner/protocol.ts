/** What the spawn helper is asked and what it answers, over Node's IPC channel (JSON). */

export type StdioSetting = 'pipe' | 'ignore'

export interface SpawnRequest {
  type: 'spawn'
  id: number
  command: string
  args: string[]
  /** stdin, stdout, stderr. */
  stdio: [StdioSetting, StdioSetting, StdioSetting]
  cwd: string
  env: NodeJS.ProcessEnv
}

export interface KillRequest {
  type: 'kill'
  id: number
  signal: NodeJS.Signals
}

export type HelperRequest = SpawnRequest | KillRequest

/** Started: its pid. The pipes follow, one message each (a message carries one handle). */
export interface SpawnedReply {
  type: 'spawned'
  id: number
  pid: number
}

/** One of its pipes, as the message's handle: 0 stdin, 1 stdout, 2 stderr. */
export interface StdioReply {
  type: 'stdio'
  id: number
  fd: 0 | 1 | 2
}

/** It could not be started (ENOENT, EACCES): what spawn's 'error' said. */
export interface FailedReply {
  type: 'failed'
  id: number
  message: string
  code?: string
}

export interface ExitReply {
  type: 'exit'
  id: number
  code: number | null
  signal: NodeJS.Signals | null
}

export type HelperReply = SpawnedReply | StdioReply | FailedReply | ExitReply
