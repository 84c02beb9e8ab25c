import { isIP } from 'node:net'
import type { ConnectionOptions } from 'bullmq'
import type { Redis, RedisOptions } from 'ioredis'
import { message, optionName } from '@anime-upscaler/common'
import { CoreError } from '../../errors'

/** How long the first contact with Redis may take before the command says it cannot reach it. */
export const REDIS_CONNECT_TIMEOUT_MS = 4000

/** A Redis server as a `redis://` or `rediss://` (TLS) URL names it, checked. */
export interface RedisTarget {
  /** ioredis options: host, port, user, password, database, TLS. */
  options: RedisOptions
  /** The URL without its password, for messages. */
  display: string
  /** The option that gave the URL, for errors. */
  option: string
}

function invalidUrl(url: string, why: string, option: string): CoreError {
  return new CoreError('E_INVALID_ARGUMENT', 'input', message`Expected a Redis URL like redis://host:6379 or rediss://:password@host:6380/0 for ${optionName(option)} but received '${redact(url)}': ${why}`, {
    option,
    value: redact(url),
  })
}

/** The URL with any password replaced by `***`. */
function redact(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]*:)[^@/]*@/, '$1***@')
}

/**
 * Reads a Redis URL: `redis://[user[:password]@]host[:port][/db]`, `rediss://` for TLS (the
 * server's certificate is checked against the system's CAs plus NODE_EXTRA_CA_CERTS).
 */
export function parseRedisUrl(url: string, option = 'redis'): RedisTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidUrl(url, 'not a URL', option)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalidUrl(url, `the scheme must be redis:// or rediss://, not ${parsed.protocol}//`, option)
  if (!parsed.hostname) throw invalidUrl(url, 'no host', option)
  const db = parsed.pathname.replace(/^\//, '')
  if (db !== '' && !/^\d+$/.test(db)) throw invalidUrl(url, `the path must be a database number, not '${db}'`, option)
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const options: RedisOptions = {
    host,
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    // An IP address is checked against the certificate's IP names; SNI takes host names only.
    ...(parsed.protocol === 'rediss:' ? { tls: isIP(host) ? {} : { servername: host } } : {}),
  }
  return { options, display: redact(url), option }
}

/** Why a connection failed, in a user's words. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(text)) return 'it refused the user or password in the URL'
  if (/ECONNREFUSED/.test(text)) return 'nothing listens there (connection refused)'
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'the host name does not resolve'
  if (/certificate|SSL|TLS|wrong version number/i.test(text)) return `TLS failed (${text}); for a private CA set NODE_EXTRA_CA_CERTS to its certificate`
  return text
}

/**
 * Connects once and checks the server answers (PING), within `timeoutMs`: the distributed mode's
 * first step, so an unreachable server, a wrong password or a TLS mismatch is said at once
 * (`E_REDIS_UNREACHABLE`, a request error) instead of after retries.
 */
export async function checkRedis(target: RedisTarget, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  const client = await redisClient(target, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  // The cause comes as an 'error' event; connect() itself only says "Connection is closed".
  let cause: unknown
  client.on('error', (error) => (cause ??= error))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs)
  })
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline])
  } catch (error) {
    throw new CoreError('E_REDIS_UNREACHABLE', 'input', `Cannot use Redis at ${target.display}: ${reason(cause ?? error)}`, { option: target.option, value: target.display })
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

/** BullMQ's connection options for `target` (ioredis options; bullmq types them apart). */
export function bullConnection(target: RedisTarget, extra: RedisOptions = {}): ConnectionOptions {
  return { ...target.options, ...extra } as ConnectionOptions
}

/** The Redis and queue libraries, loaded on first use: they take a while to load and only the distributed mode needs them. */
export function redisLibraries(): Promise<[typeof import('bullmq'), typeof import('ioredis')]> {
  return Promise.all([import('bullmq'), import('ioredis')])
}

/** A plain Redis client for `target` (the job's state, refusals). */
export async function redisClient(target: RedisTarget, extra: RedisOptions): Promise<Redis> {
  const [, { Redis: Client }] = await redisLibraries()
  return new Client({ ...target.options, ...extra })
}
