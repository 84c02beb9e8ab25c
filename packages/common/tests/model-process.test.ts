import { HUGE_PAGES_TUNABLE, modelProcessEnv } from '../src'

test('a model process gets huge pages for malloc, unless the user set glibc tunables', () => {
  expect(modelProcessEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })
  expect(modelProcessEnv({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })
})
