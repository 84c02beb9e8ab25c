/** Where progress goes: any writable stream; a terminal (`isTTY`) gets a redrawn status line. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean }

/**
 * Writes to stderr the way both progress displays need: permanent lines, and on a terminal one
 * status line redrawn in place (cleared before each permanent line, redrawn by the next update).
 */
export class StatusLine {
  private length = 0

  constructor(readonly stream: ProgressStream) {}

  /** The status line of `stream`, or `stream` itself when it is one (displays that take turns share it). */
  static on(stream: ProgressStream | StatusLine): StatusLine {
    return stream instanceof StatusLine ? stream : new StatusLine(stream)
  }

  get interactive(): boolean {
    return this.stream.isTTY === true
  }

  line(text: string): void {
    if (this.interactive && this.length > 0) this.stream.write(`\r${' '.repeat(this.length)}\r`)
    this.length = 0
    this.stream.write(`${text}\n`)
  }

  redraw(text: string): void {
    this.stream.write(`\r${text.padEnd(this.length)}`)
    this.length = text.length
  }
}
