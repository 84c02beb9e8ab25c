import { spawn } from 'node:child_process'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ServerOptionError } from './server-options'

/** Gradio's port; the next 19 are tried when it is taken and no port was asked for. */
export const DEFAULT_PORT = 7860

function listenOnce(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') return new ServerOptionError('E_PORT_IN_USE', 'port', port, `Port ${port} on ${host} is in use`, 'choose another port, or 0 for any free one', { cause: error })
  if (code === 'EACCES') return new ServerOptionError('E_PORT_IN_USE', 'port', port, `Port ${port} may not be used by this user`, 'choose a port from 1024 up, or 0 for any free one', { cause: error })
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ServerOptionError('E_HOST_UNAVAILABLE', 'host', host, `Cannot listen on ${host}: it is not an address of this machine`, "use 127.0.0.1, '0.0.0.0' for every interface, or one of this machine's addresses", { cause: error })
  }
  return error
}

/** Listens on `port`, or on 7860 or the next free port up to 7879 (then any) when none is given. Resolves with the port. */
export async function listen(server: Server, host: string, port: number | undefined): Promise<number> {
  const candidates = port === undefined ? [...Array.from({ length: 20 }, (_, i) => DEFAULT_PORT + i), 0] : [port]
  for (let index = 0; ; index++) {
    try {
      return await listenOnce(server, host, candidates[index])
    } catch (error) {
      const last = index === candidates.length - 1
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || last) throw listenError(error, host, port ?? DEFAULT_PORT)
    }
  }
}

/** The address to print and open: a wildcard host is shown as 127.0.0.1, IPv6 in brackets, the token in the query. */
export function addressOf(host: string, port: number, token: string | undefined): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === ''
  const shownHost = wildcard ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `http://${shownHost}:${port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`
}

export function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // No browser to open: the URL is printed anyway.
  }
}
