import type { IncomingMessage, ServerResponse } from 'node:http'

/** One message to every page: a named Server-Sent Event with a JSON body. */
export interface PageEvent {
  event: string
  data: unknown
  /** What the message is about (a job id): a newer message about it replaces a coalesced one not sent yet. */
  key?: string
  /** Progress: sent at most every 150 ms per key, the latest only. Otherwise sent at once. */
  coalesce?: boolean
}

const HEARTBEAT_MS = 15_000
const COALESCE_MS = 150

/**
 * The open Server-Sent Event streams (one per page). State changes go out at once; progress is
 * coalesced to one message per key every 150 ms. `close()` ends every stream, after which nothing
 * is written to them: a late job event during shutdown must not write to an ended response.
 */
export class EventStreams {
  private readonly streams = new Set<ServerResponse>()
  private readonly pending = new Map<string, PageEvent>()
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly openListeners = new Set<(open: number) => void>()

  /** Starts a stream with the messages `initial` returns (a snapshot), then every broadcast. */
  open(request: IncomingMessage, response: ServerResponse, initial: () => PageEvent[]): void {
    response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    response.write('retry: 1000\n\n')
    for (const message of initial()) write(response, message)
    const heartbeat = setInterval(() => safeWrite(response, ': keep-alive\n\n'), HEARTBEAT_MS)
    this.streams.add(response)
    this.notify()
    request.on('close', () => {
      clearInterval(heartbeat)
      if (this.streams.delete(response)) this.notify()
    })
  }

  /** Sends to every open stream: at once, or coalesced (`coalesce` with a `key`). */
  broadcast(message: PageEvent): void {
    if (this.closed) return
    if (message.coalesce && message.key !== undefined) {
      this.pending.set(message.key, message)
      this.timer ??= setTimeout(() => this.flush(), COALESCE_MS)
      return
    }
    if (message.key !== undefined) this.pending.delete(message.key)
    for (const response of this.streams) write(response, message)
  }

  /** How many streams are open now. */
  get count(): number {
    return this.streams.size
  }

  /** Calls `listener` with the number of open streams whenever it changes; returns the unsubscribe. */
  onCountChange(listener: (open: number) => void): () => void {
    this.openListeners.add(listener)
    return () => this.openListeners.delete(listener)
  }

  /** Ends every stream; later broadcasts are dropped. */
  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.pending.clear()
    for (const response of this.streams) response.end()
    this.streams.clear()
    this.openListeners.clear()
  }

  private flush(): void {
    this.timer = undefined
    const messages = [...this.pending.values()]
    this.pending.clear()
    for (const response of this.streams) for (const message of messages) write(response, message)
  }

  private notify(): void {
    for (const listener of this.openListeners) listener(this.streams.size)
  }
}

function write(response: ServerResponse, { event, data }: PageEvent): void {
  safeWrite(response, `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
}

function safeWrite(response: ServerResponse, text: string): void {
  if (!response.writableEnded && !response.destroyed) response.write(text)
}
