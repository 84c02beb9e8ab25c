import { createRequire } from 'node:module'
import { BinaryError, ManagedProcess, resolveBinary, type ExitStatus } from '@anime-upscaler/common'
import { SaveError, messageOf } from './errors'
import { parseStreamList, type SourceStream } from './containers'

/** The ffmpeg to run: `explicit`, else $FFMPEG_PATH, else the newer of the bundled one (@ffmpeg-installer) and the one on PATH. */
export function resolveFfmpegPath(explicit?: string): string {
  try {
    return resolveBinary('ffmpeg', explicit, undefined, createRequire(__filename)).path
  } catch (error) {
    if (error instanceof BinaryError) throw new SaveError('E_FFMPEG_NOT_FOUND', error.parts, error.details())
    throw error
  }
}

export type { ExitStatus } from '@anime-upscaler/common'

const TAIL_LINES = 30

/** One ffmpeg run: stdin for frames, stdout read (image frames) or not, stderr kept as its last lines. */
export type FfmpegProcess = ManagedProcess

export function startFfmpeg(ffmpegPath: string, args: readonly string[], stdout: 'ignore' | 'pipe' = 'ignore'): Promise<FfmpegProcess> {
  return ManagedProcess.start(ffmpegPath, args, { stdout, tailLines: TAIL_LINES })
}

/** ffmpeg failed to start (missing binary, not executable): a SaveError saying what to do. */
export function notFoundError(ffmpegPath: string, cause: unknown): SaveError {
  const reason = messageOf(cause)
  return new SaveError(
    'E_FFMPEG_NOT_FOUND',
    `Cannot start ffmpeg '${ffmpegPath}' (${reason}): set the ffmpegPath option or FFMPEG_PATH, or install @ffmpeg-installer/ffmpeg`,
    { cause },
  )
}

export interface SourceInfo {
  streams: SourceStream[]
  chapters: number
}

/** Lists the source's streams with `ffmpeg -i` (used when the caller did not give them). */
export async function probeSource(ffmpegPath: string, source: string): Promise<SourceInfo> {
  const lines: string[] = []
  const proc = await ManagedProcess.start(ffmpegPath, ['-hide_banner', '-nostdin', '-i', source], { stdin: 'ignore', onStderrLine: (line) => lines.length < 20_000 && lines.push(line) })
  await proc.exited
  if (proc.spawnError && proc.pid === undefined) throw notFoundError(ffmpegPath, proc.spawnError)
  const text = lines.join('\n')
  const { streams, chapters, hasInput } = parseStreamList(text)
  if (!hasInput) {
    const shown = lines.filter((l) => l.trim() && !/must be specified/.test(l))
    const reason = shown.slice(-3).join(' ').replace(source, '').replace(/^:\s*/, '').trim()
    throw new SaveError('E_SOURCE', `Cannot read the source '${source}' as media: ${reason || 'ffmpeg found no input'}`, {
      stderr: shown.slice(-TAIL_LINES).join('\n'),
    })
  }
  return { streams, chapters }
}

/** A stream copy into `output` failed: the full disk called by its name, else ffmpeg's words. */
export function copyError(proc: FfmpegProcess, status: ExitStatus, output: string): SaveError {
  const tail = proc.stderrText()
  if (/No space left on device/i.test(tail)) {
    return new SaveError('E_NO_SPACE', `The output disk is full (ffmpeg: No space left on device) while writing ${output}: free some space or choose another folder`, { stderr: tail })
  }
  return new SaveError('E_FFMPEG', `ffmpeg ${status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`} while copying the encoded video into ${output}:\n${tail}`, { stderr: tail })
}
