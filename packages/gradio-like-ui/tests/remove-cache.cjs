// The global teardown: removes the cache folder of this test run (made in jest.config.cjs).
const { rmSync } = require('node:fs')

module.exports = () => rmSync(process.env.XDG_CACHE_HOME, { recursive: true, force: true })
