// A real Redis for tests and benchmarks: Debian's redis-server on its own loopback port, with its
// own data folder (append-only file fsynced on every write, so a restart keeps every job), with a
// password and TLS when asked. Stopped (and its folder removed) by `stop()`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServerOptions {
  /** `requirepass`: clients must give it (the URL carries it). */
  password?: string
  /** Serve TLS only, with a certificate for 127.0.0.1 signed by a CA made for this server (`caFile`). */
  tls?: boolean
}

/** A free loopback port (the tiny race between closing and redis binding it is acceptable in tests). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** A CA and a server certificate for 127.0.0.1 and localhost, made with openssl in `dir`. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' })
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=anime-upscaler test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'))
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'))
  const extensions = file('san.cnf')
  writeFileSync(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', extensions, '-out', file('server.pem'))
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server.key') }
}

export class RedisServer {
  private process?: ChildProcess
  private log = ''

  private constructor(
    readonly port: number,
    /** Holds the data folder and, with TLS, the certificates. */
    readonly dir: string,
    private readonly options: RedisServerOptions,
    /** With TLS: the CA that signed the server's certificate (give it to clients with NODE_EXTRA_CA_CERTS). */
    readonly caFile?: string,
    private readonly tlsFiles?: { cert: string; key: string },
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-redis-'))
    const certificates = options.tls ? makeCertificates(dir) : undefined
    const server = new RedisServer(await freePort(), dir, options, certificates?.ca, certificates)
    await server.launch()
    return server
  }

  /** `redis://` or `rediss://`, with the password when there is one. */
  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : ''
    return `${this.options.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`
  }

  private args(): string[] {
    const listen = this.tlsFiles
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tlsFiles.cert, '--tls-key-file', this.tlsFiles.key, '--tls-ca-cert-file', this.caFile as string, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)]
    const auth = this.options.password ? ['--requirepass', this.options.password] : []
    const data = ['--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction']
    return [...listen, '--bind', '127.0.0.1', ...auth, ...data, '--daemonize', 'no', '--logfile', '']
  }

  /** Starts redis-server and resolves once it accepts connections. */
  private launch(): Promise<void> {
    const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'pipe', 'pipe'] })
    this.process = child
    this.log = ''
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${this.log}`)), 10_000)
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString()
        if (this.log.includes('Ready to accept connections')) {
          clearTimeout(timer)
          resolve()
        }
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', onData)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited with ${code}:\n${this.log}`))
      })
      child.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  }

  /** Stops the server (SIGTERM: it finishes writing its append-only file) and waits for its exit. */
  async halt(): Promise<void> {
    const child = this.process
    this.process = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    await exited
  }

  /** A restart on the same port and data folder: the jobs come back from the append-only file. */
  async restart(downMs = 0): Promise<void> {
    await this.halt()
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs))
    await this.launch()
  }

  /** Stops the server and removes its folder. */
  async stop(): Promise<void> {
    await this.halt()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
