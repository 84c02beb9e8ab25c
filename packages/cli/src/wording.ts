import { LIBRARY_WORDING, describeError, type OptionWording } from '@anime-upscaler/core'

/** core's options (and the web app's ServerOptions) by the flag that sets them. */
const FLAGS: Record<string, string> = {
  output: '-o',
  overwrite: '--overwrite',
  keepPartial: '--keep-partial',
  planFile: '--plan',
  allowTruncated: '--allow-truncated',
  model: '--model',
  provider: '--provider',
  workers: '--workers',
  threads: '--threads',
  tile: '--tile',
  tileOverlap: '--tile-overlap',
  tta: '--tta',
  target: '--scale/--width/--height',
  'target.scale': '--scale',
  'target.width': '--width',
  'target.height': '--height',
  capacity: '--capacity',
  mode: '--mode',
  frameFormat: '--frame-format',
  autoThreshold: '--auto-threshold',
  maxPixels: '--max-pixels',
  maxOutputPixels: '--max-output-pixels',
  quality: '--quality',
  format: '--format',
  'encoder.codec': '--codec',
  'encoder.crf': '--crf',
  'encoder.preset': '--preset',
  'encoder.pixFmt': '--pix-fmt',
  'encoder.audioCodec': '--audio-codec',
  'encoder.subtitleCodec': '--subtitle-codec',
  'encoder.attachments': '--attachments',
  'dedup.detector': '--dedup',
  'dedup.hi': '--dedup-hi',
  'dedup.lo': '--dedup-lo',
  'dedup.frac': '--dedup-frac',
  'dedup.maxRun': '--dedup-max-run',
  segments: '--segments',
  'segments.seconds': '--segments',
  'resume.restart': '--restart',
  reuse: '--reuse',
  reuseRefs: '--reuse-refs',
  reuseTileSize: '--reuse-tile',
  reuseThreshold: '--reuse-threshold',
  // The web app's ServerOptions.
  host: '--host',
  port: '--port',
  token: '--token',
  workDir: '--work-dir',
  maxUploadBytes: '--max-upload-mb',
  maxFiles: '--max-files',
  maxConcurrentJobs: '--max-jobs',
}

/** Options as this command line spells them: `--crf`, `--overwrite`, `--subtitle-codec mov_text`. */
export const CLI_WORDING: OptionWording = {
  name: (option) => FLAGS[option],
  setting: (option, value) => {
    const flag = FLAGS[option]
    if (flag === undefined) return undefined
    if (value === true) return flag
    if (value === false) return `no ${flag}`
    return `${flag} ${String(value)}`
  },
}

/** An error in this command line's words (flags, not library options). */
export function describeForCli(error: unknown): string {
  return describeError(error, CLI_WORDING)
}

export { LIBRARY_WORDING }
