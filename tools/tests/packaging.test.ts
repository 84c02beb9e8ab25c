// The packaging check (issue 10): every publishable package is packed as it would be published,
// linted (publint, @arethetypeswrong/cli), and installed from its tarball into a fresh project
// outside the workspace, once with npm and once with pnpm, exactly as its README's install block
// says. Then each README example (a code block titled example….ts or example….sh) is type-checked
// against the installed types and run, as ES module and as CommonJS. The examples read only the
// inputs of ../src/packaging/example-kit.ts. Everything happens in one temp folder, removed after.
//
// npm installs peer dependencies at the bottom of their range (rxjs 7.2.0 for ^7.2.0) and pnpm at
// the top, so both ends of the range are tested. Global installs (-g) are installed into the fresh
// project instead: the same packages, resolved the same way.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import semver from 'semver'
import { findRepoRoot } from '../src/repo-root'
import { copyExampleKit, makeExampleKit } from '../src/packaging/example-kit'
import { exampleModules, transpileExample } from '../src/packaging/example-module'
import { installFreshProject, installPlan, type Manager } from '../src/packaging/fresh-project'
import { parseInstallLine, type InstallLine } from '../src/packaging/install-line'
import { buildScriptPackages, enginesConflicts, installedCopies, resolvePackageDir, typesReachableThroughExports } from '../src/packaging/installed-tree'
import { codeBlocks, exampleBlocks } from '../src/packaging/readme'
import { cleanEnv, describeFailure, run } from '../src/packaging/run'
import { pack, readTarball, tarballProblems, tarballText } from '../src/packaging/tarball'
import { publishablePackages, readManifest } from '../src/packaging/workspace-packages'

const MINUTE = 60_000
const root = findRepoRoot()!
const packages = publishablePackages(root)
const ourNames = new Set(packages.map((pkg) => pkg.name))
const managers: Manager[] = ['npm', 'pnpm']

/** Each package's install block: one `npm install` and one `pnpm add` line. */
const installLines = new Map(
  packages.map((pkg) => {
    const blocks = codeBlocks(pkg.readme).filter((block) => block.title === 'install')
    if (blocks.length !== 1) throw new Error(`${pkg.dir}/README.md needs one \`\`\`sh title="install"\`\`\` block, found ${blocks.length}`)
    const lines = blocks[0].code.split('\n').filter((line) => line.trim() !== '').map(parseInstallLine)
    return [pkg.name, lines]
  }),
)
const lineOf = (name: string, manager: Manager): InstallLine => installLines.get(name)!.find((line) => line.manager === manager)!

const examples = packages.flatMap((pkg) => exampleBlocks(pkg.readme).map((block) => ({ pkg, block, id: `${pkg.dir}-${block.title!.replace(/\.\w+$/, '')}` })))
const tsExamples = examples.filter(({ block }) => block.lang === 'ts')
const shExamples = examples.filter(({ block }) => block.lang === 'sh')

/** The single range every package gives an outside peer dependency (e.g. rxjs → ^7.2.0); our own come from the tarballs. */
const peerRanges: Record<string, string> = {}
for (const pkg of packages) {
  for (const [name, range] of Object.entries(pkg.manifest.peerDependencies ?? {}).filter(([name]) => !ourNames.has(name))) {
    if (peerRanges[name] && peerRanges[name] !== range) throw new Error(`Packages give ${name} different peer ranges: ${peerRanges[name]} and ${range}`)
    peerRanges[name] = range
  }
}

let work = ''
const tarballs = new Map<string, string>()
const summary: string[] = []
const timed = async <T>(label: string, step: () => Promise<T>): Promise<T> => {
  const started = Date.now()
  try {
    return await step()
  } finally {
    summary.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'anime-upscaler-packaging-'))
  await timed('pack', async () => {
    for (const pkg of packages) tarballs.set(pkg.name, await pack(pkg, join(work, 'tarballs')))
  })
  await timed('example inputs', () => makeExampleKit(join(work, 'kit')))
}, 5 * MINUTE)

const started = Date.now()
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
  process.stdout.write(`packaging check: ${((Date.now() - started) / 1000).toFixed(0)} s in all: ${summary.join(', ')}\n`)
})

describe('READMEs', () => {
  test.each(packages.map((pkg) => [pkg.dir, pkg] as const))('%s: the install block installs the package and its peers with npm and with pnpm', (_dir, pkg) => {
    for (const manager of managers) {
      const line = lineOf(pkg.name, manager)
      expect({ manager, line: line?.packages }).toEqual({ manager, line: expect.arrayContaining([pkg.name]) })
      // A global install (the CLI) gets its peers from the package manager itself.
      const required = Object.keys(pkg.manifest.peerDependencies ?? {}).filter((name) => !pkg.manifest.peerDependenciesMeta?.[name]?.optional)
      if (!line.global) expect(line.packages).toEqual(expect.arrayContaining(required))
    }
  })

  test('every package has an example, and every example imports only packages its README installs or that they depend on', () => {
    expect(packages.filter((pkg) => !examples.some((example) => example.pkg === pkg)).map((pkg) => pkg.dir)).toEqual([])
    const problems = tsExamples.flatMap(({ pkg, block, id }) => {
      const installed = new Set([...lineOf(pkg.name, 'npm').packages, ...packages.filter((p) => pkg.readme.includes(p.name)).map((p) => p.name)])
      const imported = [...block.code.matchAll(/from '([^'.][^']*)'/g)].map((match) => match[1]).filter((spec) => !spec.startsWith('node:'))
      return imported.filter((spec) => !installed.has(spec)).map((spec) => `${id} imports ${spec}, which its README does not mention`)
    })
    expect(problems).toEqual([])
  })
})

describe('tarballs', () => {
  const licence = readFileSync(join(root, 'LICENSE'), 'utf8')

  test.each(packages.map((pkg) => [pkg.dir, pkg] as const))('%s: LICENSE, README, CHANGELOG and every shown image are shipped; scripts name shipped files; siblings are ranges', (_dir, pkg) => {
    const tarball = readTarball(tarballs.get(pkg.name)!)
    expect(tarballProblems(tarball, pkg.readme, ourNames)).toEqual([])
    expect(tarballText(tarball.file, 'LICENSE')).toBe(licence)
    expect(tarball.manifest).toMatchObject({ license: 'MIT', homepage: expect.any(String), bugs: { url: expect.any(String) }, keywords: expect.any(Array) })
  })

  const bin = (name: string, command: string) => {
    const dir = resolvePackageDir(name, join(root, 'tools'))!
    return join(dir, (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[command])
  }

  test.each(packages.map((pkg) => [pkg.dir, pkg] as const))('%s: publint --strict and @arethetypeswrong/cli find nothing', async (_dir, pkg) => {
    const file = tarballs.get(pkg.name)!
    const publint = await timed(`${pkg.dir} publint`, () => run(process.execPath, [bin('publint', 'publint'), 'run', file, '--strict'], { cwd: work }))
    expect({ code: publint.code, output: publint.stdout + publint.stderr }).toEqual({ code: 0, output: expect.stringContaining('All good!') })
    const attw = await timed(`${pkg.dir} attw`, () => run(process.execPath, [bin('@arethetypeswrong/cli', 'attw'), file, '--format', 'ascii', '--no-color', '--no-definitely-typed'], { cwd: work }))
    if (attw.code !== 0) throw new Error(describeFailure(`attw ${file}`, attw))
  }, 2 * MINUTE)
})

describe.each(managers)('a fresh project installed with %s', (manager) => {
  const dir = () => join(work, manager)
  const tmpDir = () => join(work, 'tmp', manager)

  beforeAll(async () => {
    mkdirSync(dir(), { recursive: true })
    mkdirSync(tmpDir(), { recursive: true })
    const rootManifest = readManifest(root)
    const versions = Object.fromEntries(Object.entries(peerRanges).map(([name, range]) => [name, manager === 'npm' ? semver.minVersion(range)!.version : range]))
    const plan = installPlan(packages.map((pkg) => lineOf(pkg.name, manager)))
    await timed(`${manager} install`, () =>
      installFreshProject(
        { manager, dir: dir(), tarballs, versions, tmpDir: tmpDir(), devDependencies: { typescript: rootManifest.devDependencies!.typescript, '@types/node': rootManifest.devDependencies!['@types/node'] } },
        plan,
      ),
    )
    await timed(`${manager} examples type-check`, () => writeAndCheckExamples(dir()))
  }, 10 * MINUTE)

  test('one copy of each peer dependency: the bottom of its range with npm, the newest in it with pnpm', () => {
    for (const [name, range] of Object.entries(peerRanges)) {
      const copies = installedCopies(dir(), name).map((path) => readManifest(path).version)
      summary.push(`${manager}: ${name} ${copies.join(' + ')}`)
      expect({ name, copies: copies.length, inRange: semver.satisfies(copies[0], range) }).toEqual({ name, copies: 1, inRange: true })
      if (manager === 'npm') expect(copies[0]).toBe(semver.minVersion(range)!.version)
    }
  })

  test("onnxruntime-node's install script fetched nothing (no CUDA libraries), yet the CPU runtime is there", () => {
    const [ort, ...others] = installedCopies(dir(), 'onnxruntime-node')
    expect(others).toEqual([])
    const binaries = readdirSync(join(ort, 'bin', 'napi-v6', process.platform, process.arch))
    expect(binaries.filter((file) => /providers_cuda/.test(file))).toEqual([])
    expect(binaries).toContain('onnxruntime_binding.node')
  })

  test("each package's engines.node is within every run-time dependency's", () => {
    expect(packages.flatMap((pkg) => enginesConflicts(resolvePackageDir(pkg.name, dir())!))).toEqual([])
  })

  test("each README's install line decides every dependency build script, as the others do", () => {
    const plan = installPlan(packages.map((pkg) => lineOf(pkg.name, manager)))
    const denied = new Set(Object.entries(installPlan(packages.map((pkg) => lineOf(pkg.name, 'pnpm'))).allowBuilds).filter(([, allowed]) => !allowed).map(([name]) => name))
    const problems = packages.flatMap((pkg) => {
      const line = lineOf(pkg.name, manager)
      const scripted = buildScriptPackages(resolvePackageDir(pkg.name, dir())!)
      if (manager === 'pnpm') return scripted.filter((name) => !(name in line.allowBuilds)).map((name) => `${pkg.dir}: its pnpm line does not decide ${name}'s build script`)
      // npm runs every script unless told otherwise: a package whose closure holds a script pnpm denies needs the same variables.
      const needsEnv = scripted.some((name) => denied.has(name))
      return needsEnv && JSON.stringify(line.env) !== JSON.stringify(plan.env) ? [`${pkg.dir}: its npm line sets ${JSON.stringify(line.env)}, not ${JSON.stringify(plan.env)}`] : []
    })
    expect(problems).toEqual([])
  })

  test.each(tsExamples.flatMap((example) => (['esm', 'cjs'] as const).map((kind) => [example.id, kind, example] as const)))(
    'README example %s runs as %s',
    async (id, kind) => {
      const folder = join(dir(), 'examples', id, kind)
      const result = await timed(`${manager} ${id} ${kind}`, () => run(process.execPath, [kind === 'esm' ? 'example.mjs' : 'example.cjs'], { cwd: folder, env: cleanEnv({ TMPDIR: tmpDir() }), timeoutMs: 5 * MINUTE }))
      // A clean run: exit code 0 and nothing on stderr (the examples report errors there).
      if (result.code !== 0 || result.stderr !== '') throw new Error(describeFailure(`${manager} ${id} (${kind})`, result))
    },
    6 * MINUTE,
  )

  test.each(shExamples.map((example) => [example.id, example] as const))(
    'README example %s runs in bash',
    async (id, { block }) => {
      const folder = join(dir(), 'examples', id)
      copyExampleKit(join(work, 'kit'), folder)
      writeFileSync(join(folder, 'example.sh'), block.code)
      const env = cleanEnv({ TMPDIR: tmpDir(), PATH: `${join(dir(), 'node_modules', '.bin')}:${process.env.PATH}` })
      const result = await timed(`${manager} ${id}`, () => run('bash', ['-e', 'example.sh'], { cwd: folder, env, timeoutMs: 5 * MINUTE }))
      if (result.code !== 0) throw new Error(describeFailure(`${manager} ${id}`, result))
    },
    6 * MINUTE,
  )

  test('nothing was left in the temp folder the installs and examples used', () => {
    expect(readdirSync(tmpDir())).toEqual([])
  })
})

/**
 * Writes every TypeScript example as ES module and CommonJS (TypeScript and its JavaScript) beside
 * a copy of the kit, and type-checks them with the project's own tsc against the installed types:
 * with nodenext resolution (each package's import and require types), or node10 when an installed
 * peer dependency has types for node10 only (the bottom of rxjs's range).
 */
async function writeAndCheckExamples(project: string): Promise<void> {
  for (const { id, block } of tsExamples) {
    const modules = exampleModules(block.code)
    for (const kind of ['esm', 'cjs'] as const) {
      const folder = join(project, 'examples', id, kind)
      copyExampleKit(join(work, 'kit'), folder)
      writeFileSync(join(folder, kind === 'esm' ? 'example.mts' : 'example.cts'), modules[kind])
      writeFileSync(join(folder, kind === 'esm' ? 'example.mjs' : 'example.cjs'), transpileExample(modules[kind], kind))
    }
  }
  const modern = Object.keys(peerRanges).every((name) => typesReachableThroughExports(readManifest(resolvePackageDir(name, project)!)))
  const resolution = modern ? { module: 'nodenext', moduleResolution: 'nodenext' } : { module: 'es2022', moduleResolution: 'node10' }
  const tsconfig = {
    compilerOptions: { ...resolution, target: 'es2022', strict: true, skipLibCheck: false, types: ['node'], noEmit: true },
    include: ['examples/**/*.mts', 'examples/**/*.cts'],
  }
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 5 * MINUTE })
  if (result.code !== 0) throw new Error(describeFailure(`tsc (${resolution.moduleResolution}) in ${project}: the README examples against the installed types`, result))
  summary.push(`${project.endsWith('npm') ? 'npm' : 'pnpm'} type check: ${resolution.moduleResolution}`)
}
