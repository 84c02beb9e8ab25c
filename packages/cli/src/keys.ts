import { Subject } from 'rxjs'

/**
 * Single-key controls on an interactive terminal: p toggles pause, q stops. Raw mode turns Ctrl-C
 * into a key as well, so it is handled here too. Returns a function restoring the terminal.
 */
export function listenForKeys(stdin: NodeJS.ReadStream, paused: Subject<boolean>, stop: () => void): () => void {
  if (!stdin.isTTY) return () => undefined
  let isPaused = false
  const onData = (data: Buffer) => {
    const key = data.toString('utf8')
    if (key === 'p' || key === 'P') {
      isPaused = !isPaused
      paused.next(isPaused)
    } else if (key === 'q' || key === 'Q' || key === '\u0003') {
      stop()
    }
  }
  stdin.setRawMode(true)
  stdin.resume()
  stdin.on('data', onData)
  return () => {
    stdin.off('data', onData)
    stdin.setRawMode(false)
    stdin.pause()
  }
}
