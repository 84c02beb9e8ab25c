import { spawn } from 'node:child_process'

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
}

/**
 * The environment of a fresh project's commands: this process's, less what pnpm and npm set for the
 * script that runs the tests (npm_config_*, npm_package_*…), which would leak the workspace's settings.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_|INIT_CWD$|NODE_OPTIONS$|JEST_|NX_)/.test(name)) env[name] = value
  return { ...env, ...extra }
}

/** Runs a command to its end (killed after `timeoutMs`), collecting its output. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** A failed command's message: the command, its exit code and the end of its output. */
export function describeFailure(what: string, result: RunResult): string {
  const tail = (text: string) => text.trim().split('\n').slice(-40).join('\n')
  return `${what} exited with ${result.code}\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`
}
