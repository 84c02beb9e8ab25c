/** Messages between the command's entry (bin.js) and the process that runs the command (work.js). */

/** To the work process: a stop request (Ctrl-C, SIGTERM or SIGHUP reached the entry). */
export interface StopRequest {
  type: 'stop'
}

/** From the work process: the command is over and everything but its model threads is cleaned up. */
export interface WorkDone {
  type: 'done'
  code: number
}
