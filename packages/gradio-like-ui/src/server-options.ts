import { AnimeUpscalerError, DEFAULTS, message, optionName, type MessagePart } from '@anime-upscaler/core'
import { randomBytes } from 'node:crypto'
import { LIMITS } from './limits'

export interface ServerOptions {
  /** Interface to listen on. Default 127.0.0.1. Anything but loopback requires a token. */
  host?: string
  /** Port; 0 picks any free one. Default 7860 (Gradio's), or the next free one above it. */
  port?: number
  /** Access token. Required off loopback: generated when not given. On loopback, enforced when given. */
  token?: string
  /** Largest upload in bytes. Default 2 GiB. */
  maxUploadBytes?: number
  /** Most files per job, and most uploads waiting for a job. Default 50. */
  maxFiles?: number
  /** Jobs that run at once; more wait in the queue. Default 1. */
  maxConcurrentJobs?: number
  /** Jobs that may wait in the queue. Default 20. */
  maxQueuedJobs?: number
  /** Largest image accepted, in pixels (core's default when omitted). */
  maxPixels?: number
  /** How long uploads waiting for a job are kept once no page is open, in ms. Default 2 minutes. */
  uploadGraceMs?: number
  /**
   * Folder in which the server's temporary work folder is made (removed on close). Default: the OS
   * temp folder. When given, unfinished video jobs are kept in its `anime-upscaler-ui-jobs` folder
   * (else in the user's cache folder).
   */
  workDir?: string
  /** Length of the segments video jobs are cut into, in seconds: a resumed job redoes at most the segments in progress. Default core's (60). */
  segmentSeconds?: number
  /** Open the URL in the default browser. Default false. */
  open?: boolean
}

export type ServerOptionErrorCode = 'E_INVALID_ARGUMENT' | 'E_PORT_IN_USE' | 'E_HOST_UNAVAILABLE'

/**
 * A ServerOptions value that cannot be used, with structured fields so a caller can word it in its
 * own terms (the CLI as its flags): `code`, `option` (the ServerOptions name), `value` (as given),
 * `hint` (what to do, without naming the option). The message is worded for a library user.
 */
export class ServerOptionError extends AnimeUpscalerError<ServerOptionErrorCode> {
  override name = 'ServerOptionError'
  declare readonly option: keyof ServerOptions

  constructor(code: ServerOptionErrorCode, option: keyof ServerOptions, value: unknown, text: string | MessagePart[], hint: string, options?: { cause?: unknown }) {
    super(code, text, { option, value, hint, cause: options?.cause })
  }
}

/** Options with every default applied. */
export interface ResolvedServerOptions {
  host: string
  loopback: boolean
  /** Undefined: the default port, or the next free one. */
  port?: number
  token?: string
  maxUploadBytes: number
  maxFiles: number
  maxConcurrentJobs: number
  maxQueuedJobs: number
  maxPixels?: number
  uploadGraceMs: number
  workDir?: string
  segmentSeconds: number
  open: boolean
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value)
}

function invalid(option: keyof ServerOptions, value: unknown, expected: string, hint: string): ServerOptionError {
  return new ServerOptionError('E_INVALID_ARGUMENT', option, value, message`Expected ${expected} for ${optionName(option)} but received ${describe(value)}`, hint)
}

function positiveInteger(options: ServerOptions, option: 'maxUploadBytes' | 'maxFiles' | 'maxConcurrentJobs' | 'maxQueuedJobs' | 'maxPixels', fallback: number | undefined) {
  const value = options[option]
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(option, value, 'a positive integer', `use a whole number from 1 up, or leave it out for the default${fallback === undefined ? '' : ` (${fallback})`}`)
  return value
}

function checkToken(token: unknown): void {
  if (token === undefined) return
  if (typeof token !== 'string' || token.length < 8 || /[^\x21-\x7e]/.test(token)) {
    const received = typeof token === 'string' ? `${token.length} characters${/[^\x21-\x7e]/.test(token) ? ' with spaces or non-ASCII ones' : ''}` : typeof token
    throw new ServerOptionError('E_INVALID_ARGUMENT', 'token', token, message`Expected at least 8 printable ASCII characters without spaces for ${optionName('token')} but received ${received}`, 'choose a longer token, or leave it out (one is generated when the server listens beyond loopback)')
  }
}

function checkPort(port: unknown): void {
  if (port === undefined) return
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw invalid('port', port, 'an integer from 0 to 65535', 'use 0 for any free port, or leave it out for 7860 or the next free one')
}

/** Validates `startServer`'s options and applies the defaults; throws a ServerOptionError naming the first bad one. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  if (options === null || typeof options !== 'object') throw invalid('host', options, 'an options object', 'pass an object such as { port: 0 }')
  const host = options.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host.trim() === '') throw invalid('host', host, 'an interface address such as 127.0.0.1', "leave it out for 127.0.0.1, or use '0.0.0.0' for every interface")
  checkPort(options.port)
  checkToken(options.token)
  const loopback = isLoopback(host)
  const graceMs = options.uploadGraceMs ?? LIMITS.uploadGraceMs
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw invalid('uploadGraceMs', graceMs, 'a whole number of milliseconds', 'use 0 or more, or leave it out for 2 minutes')
  if (options.workDir !== undefined && (typeof options.workDir !== 'string' || options.workDir === '')) throw invalid('workDir', options.workDir, 'a folder path', 'give a folder, or leave it out for the OS temp folder')
  const segmentSeconds = options.segmentSeconds ?? DEFAULTS.segmentSeconds
  if (typeof segmentSeconds !== 'number' || !Number.isFinite(segmentSeconds) || segmentSeconds <= 0) throw invalid('segmentSeconds', segmentSeconds, 'a positive number of seconds', `use a length such as 30 or 60, or leave it out for ${DEFAULTS.segmentSeconds}`)
  return {
    host,
    loopback,
    port: options.port,
    token: options.token ?? (loopback ? undefined : randomBytes(24).toString('base64url')),
    maxUploadBytes: positiveInteger(options, 'maxUploadBytes', LIMITS.maxUploadBytes)!,
    maxFiles: positiveInteger(options, 'maxFiles', LIMITS.maxFiles)!,
    maxConcurrentJobs: positiveInteger(options, 'maxConcurrentJobs', LIMITS.maxConcurrentJobs)!,
    maxQueuedJobs: positiveInteger(options, 'maxQueuedJobs', LIMITS.maxQueuedJobs)!,
    maxPixels: positiveInteger(options, 'maxPixels', undefined),
    uploadGraceMs: graceMs,
    workDir: options.workDir,
    segmentSeconds,
    open: options.open === true,
  }
}
