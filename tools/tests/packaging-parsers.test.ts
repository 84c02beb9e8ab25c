// The parts of the packaging check that read READMEs: what they accept and what they refuse.
import { exampleModules, transpileExample } from '../src/packaging/example-module'
import { installPlan } from '../src/packaging/fresh-project'
import { parseInstallLine, shellWords } from '../src/packaging/install-line'
import { codeBlocks, exampleBlocks, relativeImages } from '../src/packaging/readme'

const readme = [
  '# pkg',
  '![shot](docs/shot.png) ![badge](https://example.org/b.svg)',
  '```sh title="install"',
  'npm install pkg rxjs',
  '```',
  '````ts title="example.ts"',
  "import { of } from 'rxjs'",
  '```not a fence inside',
  '````',
  '```ts',
  'const unmarked = 1',
  '```',
  '```sh title="example-cli.sh"',
  'pkg --help',
  '```',
].join('\n')

test('code blocks keep their language, title and text; only titled examples are programs', () => {
  expect(codeBlocks(readme).map(({ lang, title, line }) => ({ lang, title, line }))).toEqual([
    { lang: 'sh', title: 'install', line: 3 },
    { lang: 'ts', title: 'example.ts', line: 6 },
    { lang: 'ts', title: undefined, line: 10 },
    { lang: 'sh', title: 'example-cli.sh', line: 13 },
  ])
  expect(codeBlocks(readme)[1].code).toBe("import { of } from 'rxjs'\n```not a fence inside\n")
  expect(exampleBlocks(readme).map((block) => block.title)).toEqual(['example.ts', 'example-cli.sh'])
  expect(relativeImages(readme)).toEqual(['docs/shot.png'])
  expect(() => codeBlocks('```ts\nopen')).toThrow('Unclosed code block at line 1')
})

test('install lines: environment, packages without versions, global, pnpm build decisions', () => {
  expect(shellWords(`A=1 pnpm add x --allow-build='!y' "two words"`)).toEqual(['A=1', 'pnpm', 'add', 'x', '--allow-build=!y', 'two words'])
  expect(parseInstallLine('ONNXRUNTIME_NODE_INSTALL=skip npm install @scope/a@^1.2.0 rxjs@7')).toEqual({
    manager: 'npm',
    env: { ONNXRUNTIME_NODE_INSTALL: 'skip' },
    packages: ['@scope/a', 'rxjs'],
    allowBuilds: {},
    global: false,
  })
  expect(parseInstallLine("pnpm add -g @scope/cli --allow-build='!onnxruntime-node' --allow-build=sharp")).toMatchObject({
    manager: 'pnpm',
    packages: ['@scope/cli'],
    allowBuilds: { 'onnxruntime-node': false, sharp: true },
    global: true,
  })
  expect(() => parseInstallLine('yarn add x')).toThrow('Expected "npm install …" or "pnpm add …" but received: yarn add x')
  expect(() => parseInstallLine('npm install --save-dev x')).toThrow('Unexpected option --save-dev in: npm install --save-dev x')
  expect(() => shellWords("pnpm add 'x")).toThrow("Unclosed ' in: pnpm add 'x")
})

test('READMEs that disagree on a variable or a build decision are refused', () => {
  const a = parseInstallLine("pnpm add a --allow-build='!n'")
  const b = parseInstallLine('pnpm add b --allow-build=n')
  expect(() => installPlan([a, b])).toThrow('READMEs disagree on the build decision for n: false and true')
  expect(installPlan([a, parseInstallLine('pnpm add b rxjs')])).toEqual({ packages: ['a', 'b', 'rxjs'], env: {}, allowBuilds: { n: false } })
})

test('an example becomes an ES module as written and a CommonJS module with its body in an async function', () => {
  const source = "import { of } from 'rxjs'\nimport type { Observable } from 'rxjs'\n\nconst value = await Promise.resolve(1)\nconst stream: Observable<number> = of(value)\nstream.subscribe(console.log)\n"
  const { esm, cjs } = exampleModules(source)
  expect(esm).toBe(source)
  expect(cjs.startsWith("import { of } from 'rxjs'\nimport type { Observable } from 'rxjs'\n\nasync function main(): Promise<void> {\nconst value = await")).toBe(true)
  expect(cjs).toContain('stream.subscribe(console.log)\n}\nmain().catch((error: unknown) => {')
  expect(transpileExample(cjs, 'cjs')).toContain('require("rxjs")')
  expect(transpileExample(esm, 'esm')).toContain("import { of } from 'rxjs'")
})
