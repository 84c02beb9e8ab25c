// `anime-upscaler models …` as a user runs it: a real process, real files, a real conversion.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import sharp from 'sharp'

const BIN = resolve(__dirname, '../dist/bin.js')
let dir = ''
let models = ''

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/**
 * A tiny ncnn model as the ncnn tools write it: nearest 2x, then a 3x3 convolution with float16
 * weights (the tag 0x01306B47, then the values) and float32 biases.
 */
function tinyModel(name: string, options: { layer?: string; magic?: string; binBytes?: (bin: Uint8Array) => Uint8Array } = {}): string {
  const param = [
    options.magic ?? '7767517',
    '3 3',
    'Input            input    0 1 data',
    'Interp           up       1 1 data up 0=1 1=2.0 2=2.0',
    `${options.layer ?? 'Convolution'}      conv     1 1 up output 0=3 1=3 4=1 5=1 6=81`,
    '',
  ].join('\n')
  const bin = new Uint8Array(4 + 164 + 12)
  const view = new DataView(bin.buffer)
  view.setUint32(0, 0x01306b47, true)
  for (let o = 0; o < 3; o++) view.setUint16(4 + 2 * (o * 27 + o * 9 + 4), 0x3c00, true) // 1.0 at each output's own centre tap
  for (let o = 0; o < 3; o++) view.setFloat32(168 + 4 * o, 0.01, true)
  writeFileSync(join(dir, `${name}.param`), param)
  writeFileSync(join(dir, `${name}.bin`), options.binBytes ? options.binBytes(bin) : bin)
  return `${name}.param`
}

/** Entries of the models folder (none when it does not exist): an import that fails must add nothing. */
function stored(): string[] {
  return existsSync(models) ? readdirSync(models).sort() : []
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'anime-upscaler-models-'))
  models = join(dir, 'models')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('anime-upscaler models', () => {
  test('import, list, upscale with -m NAME (and --tta), remove', async () => {
    const imported = cli('models', 'import', tinyModel('tiny'), '--name', 'tiny2x', '--models-dir', models)
    expect(imported.stderr).toContain('Imported tiny2x: 2x, fast, receptive radius 1 px')
    expect(imported.code).toBe(0)
    const listing = cli('models', '--models-dir', models)
    expect(listing.code).toBe(0)
    expect(listing.stdout).toMatch(/anime4k-l \(default\)\s+2x\s+fast\s+built in/)
    expect(listing.stdout).toMatch(/tiny2x\s+2x\s+fast\s+0\.0 MB\s+ncnn tiny\.param \+ tiny\.bin \(realesrgan-ncnn-vulkan\)/)
    const json = JSON.parse(cli('models', '--json', '--models-dir', models).stdout)
    expect(json.map((m: { id: string; kind: string }) => [m.id, m.kind])).toEqual([['anime4k-s', 'builtin'], ['anime4k-l', 'builtin'], ['tiny2x', 'imported']])
    expect(json[2]).toMatchObject({ scale: 2, speed: 'fast', origin: { format: 'ncnn', files: ['tiny.param', 'tiny.bin'] } })
    await sharp({ create: { width: 12, height: 8, channels: 3, background: '#48c' } }).png().toFile(join(dir, 'in.png'))
    for (const extra of [[], ['--tta']]) {
      const upscaled = cli('upscale', 'in.png', '-o', 'out.png', '-m', 'tiny2x', '--models-dir', models, '--overwrite', ...extra)
      expect(upscaled.code).toBe(0)
      const meta = await sharp(join(dir, 'out.png')).metadata()
      expect([meta.width, meta.height]).toEqual([24, 16])
    }
    const removed = cli('models', 'remove', 'tiny2x', '--models-dir', models)
    expect([removed.code, removed.stderr]).toEqual([0, `Removed tiny2x from ${models}\n`])
    expect(stored()).toEqual([])
  })

  test('bad ncnn files: exit 2, an error naming the file, nothing stored', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['truncated', tinyModel('truncated', { binBytes: (bin) => bin.subarray(0, 100) }), /truncated\.bin is truncated or does not match the \.param: Convolution layer 'conv' \(truncated\.param, line 5\) needs 81 float16 weights/],
      ['mismatched', tinyModel('mismatched', { binBytes: (bin) => Uint8Array.from([...bin, 0, 0, 0, 0]) }), /mismatched\.bin holds 184 bytes but the layers of mismatched\.param use 180: this \.bin does not belong to that \.param/],
      ['magic', tinyModel('magic', { magic: '1234567' }), /magic\.param is not an ncnn \.param file: its first line should be the magic number 7767517 but is '1234567'/],
      ['unknown', tinyModel('unknown', { layer: 'LSTM' }), /unknown\.param, line 5: layer type 'LSTM' \(layer 'conv'\) is not supported; supported types: /],
    ]
    for (const [, param, message] of cases) {
      const result = cli('models', 'import', param, '--models-dir', models)
      expect(result.stderr).toMatch(message)
      expect(result.code).toBe(2)
      expect(stored()).toEqual([])
    }
    const missing = cli('models', 'import', 'absent.param', '--models-dir', models)
    expect([missing.code, missing.stderr]).toEqual([2, 'error: absent.param does not exist\n'])
  })

  test('an existing name needs --force; an unwritable models folder is refused; nothing is left behind', () => {
    const param = tinyModel('tiny')
    expect(cli('models', 'import', param, '--models-dir', models).code).toBe(0)
    const again = cli('models', 'import', param, '--models-dir', models)
    expect(again.code).toBe(2)
    expect(again.stderr).toContain(`error: A model named 'tiny' is already imported in ${models}; pass --force (force: true) to replace it, or choose another --name`)
    expect(cli('models', 'import', param, '--models-dir', models, '--force').code).toBe(0)
    expect(stored()).toEqual(['tiny'])
    writeFileSync(join(dir, 'a-file'), '')
    const unwritable = cli('models', 'import', param, '--models-dir', join(dir, 'a-file', 'models'))
    expect(unwritable.code).toBe(2)
    expect(unwritable.stderr).toContain(`error: The models folder ${join(dir, 'a-file', 'models')} is not writable (ENOTDIR); choose another with --models-dir (modelsDir)`)
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'models', 'tiny.bin', 'tiny.param'])
    const unknown = cli('models', 'remove', 'nope', '--models-dir', models)
    expect([unknown.code, unknown.stderr]).toEqual([2, `error: No imported model 'nope' in ${models} (imported: tiny)\n`])
  })
})
