/** Exit codes of the anime-upscaler command (documented in the README). */
export const EXIT = {
  ok: 0,
  /** Work was attempted and something failed (an image, the model at run time, the disk). */
  failed: 1,
  /** The command cannot start: bad arguments, missing input, existing output, unusable model. */
  usage: 2,
  /** Stopped by Ctrl-C or SIGTERM. */
  interrupted: 130,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]
