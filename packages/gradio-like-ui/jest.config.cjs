const { mkdtempSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')

// Video jobs are kept in the user's cache folder to be resumed, and core lists them there: the
// tests use a cache folder of their own (inherited by the test workers and the servers they
// start), removed by the global teardown, so they neither see nor leave anything in ~/.cache.
process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'gradio-like-ui-cache-'))

module.exports = { ...require('../../jest.preset.cjs'), globalTeardown: '<rootDir>/tests/remove-cache.cjs' }
