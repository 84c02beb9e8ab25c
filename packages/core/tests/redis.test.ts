// The distributed mode's first contact with Redis, against a real redis-server: plain, with a
// password, with TLS; and the servers it cannot use, named within 5 s.
import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { RedisServer } from '../../../tools/src/redis-server'
import { CoreError } from '../src/errors'
import { resolveQueue } from '../src/video/distributed/queue-run'
import { checkRedis, parseRedisUrl } from '../src/video/distributed/redis'

async function failure(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(CoreError)
  return error as CoreError
}

describe('parseRedisUrl', () => {
  test('reads host, port, user, password, database and TLS; messages never show the password', () => {
    const target = parseRedisUrl('rediss://me:s%40cret@cache.local:6380/2')
    expect(target.options).toMatchObject({ host: 'cache.local', port: 6380, username: 'me', password: 's@cret', db: 2, tls: { servername: 'cache.local' } })
    expect(target.display).toBe('rediss://me:***@cache.local:6380/2')
    expect(parseRedisUrl('redis://127.0.0.1').options).toEqual({ host: '127.0.0.1', port: 6379 })
  })

  test.each([
    ['http://host:6379', /scheme must be redis:\/\/ or rediss:\/\//],
    ['host:6379', /scheme must be/],
    ['not a url', /not a URL/],
    ['redis://host:6379/cache', /database number/],
    ['redis://:hunter2@host:99999', /not a URL/],
  ])('%s is refused, naming the option', (url, why) => {
    let error: unknown
    try {
      parseRedisUrl(url)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CoreError)
    expect((error as CoreError).code).toBe('E_INVALID_ARGUMENT')
    expect((error as CoreError).option).toBe('redis')
    expect((error as CoreError).message).toMatch(why)
    expect((error as CoreError).message).not.toContain('hunter2')
  })
})

describe('resolveQueue', () => {
  test('defaults: 3 attempts, a 60 s coordinator lease', () => {
    expect(resolveQueue({ redis: 'redis://127.0.0.1' })).toMatchObject({ attempts: 3, coordinatorTimeout: 60 })
  })

  test.each([
    [{ redis: 'redis://127.0.0.1', attempts: 0 }, 'Expected positive integer for queue.attempts but received 0'],
    [{ redis: 'redis://127.0.0.1', coordinatorTimeout: -1 }, 'Expected positive number for queue.coordinatorTimeout but received -1'],
    [{ redis: 'redis://127.0.0.1', coordinatorTimeout: '60' }, "Expected positive number for queue.coordinatorTimeout but received '60'"],
  ])('%j is refused, naming the option', (queue, message) => {
    expect(() => resolveQueue(queue as never)).toThrow(message)
  })
})

describe('checkRedis against a real redis-server', () => {
  let plain: RedisServer
  let secured: RedisServer
  beforeAll(async () => {
    ;[plain, secured] = await Promise.all([RedisServer.start(), RedisServer.start({ password: 'p@ss word', tls: true })])
  })
  afterAll(async () => {
    await Promise.all([plain?.stop(), secured?.stop()])
  })

  test('a plain server answers', async () => {
    await expect(checkRedis(parseRedisUrl(plain.url))).resolves.toBeUndefined()
  })

  test('TLS with a password answers when the CA is trusted; a wrong password and plain text are named', async () => {
    const target = parseRedisUrl(secured.url)
    const ca = readFileSync(secured.caFile as string)
    await expect(checkRedis({ ...target, options: { ...target.options, tls: { ...target.options.tls, ca } } })).resolves.toBeUndefined()
    const wrong = parseRedisUrl(secured.url.replace('p%40ss%20word', 'nope'))
    const refused = await failure(checkRedis({ ...wrong, options: { ...wrong.options, tls: { ...wrong.options.tls, ca } } }))
    expect(refused.code).toBe('E_REDIS_UNREACHABLE')
    expect(refused.message).toMatch(/refused the user or password/)
    expect(refused.message).not.toContain('nope')
    const untrusted = await failure(checkRedis(target))
    expect(untrusted.message).toMatch(/TLS failed .*NODE_EXTRA_CA_CERTS/)
  })
})

describe('servers the distributed mode cannot use', () => {
  let silent: Server
  const sockets: Socket[] = []
  beforeAll(async () => {
    // Accepts connections and never answers: a firewall that swallows packets, a hung server.
    silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  test('nothing listening: said at once', async () => {
    const started = Date.now()
    const error = await failure(checkRedis(parseRedisUrl('redis://127.0.0.1:1')))
    expect(error).toMatchObject({ code: 'E_REDIS_UNREACHABLE', option: 'redis' })
    expect(error.message).toBe('Cannot use Redis at redis://127.0.0.1:1: nothing listens there (connection refused)')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  test('a server that never answers: said within 5 s', async () => {
    const { port } = silent.address() as { port: number }
    const started = Date.now()
    const error = await failure(checkRedis(parseRedisUrl(`redis://127.0.0.1:${port}`)))
    expect(error.code).toBe('E_REDIS_UNREACHABLE')
    expect(error.message).toMatch(/no answer within 4 s/)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})
