// Assembles src/kernels/kernels.wat into src/kernels/kernels-wasm.ts (the bytes as base64), so the
// published package needs no assembler. tests/kernels.test.ts checks that the two agree.
const { readFileSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')
const wabt = require('wabt')

const folder = join(__dirname, '..', 'src', 'kernels')

/** The generated module's text: the assembled bytes as base64. */
async function kernelsSource() {
  const { parseWat } = await wabt()
  const module = parseWat('kernels.wat', readFileSync(join(folder, 'kernels.wat'), 'utf8'), { simd: true, bulk_memory: true })
  try {
    module.validate()
    const base64 = Buffer.from(module.toBinary({}).buffer).toString('base64')
    return `// Generated from kernels.wat by \`node packages/stage-detect/scripts/build-kernels.cjs\`: do not edit.\nexport const kernelsWasm = '${base64}'\n`
  } finally {
    module.destroy()
  }
}

module.exports = { kernelsSource, generatedFile: join(folder, 'kernels-wasm.ts') }

if (require.main === module) kernelsSource().then((text) => writeFileSync(module.exports.generatedFile, text))
