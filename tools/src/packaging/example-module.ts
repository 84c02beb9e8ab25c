// One README example as an ES module and as a CommonJS module. The ESM file is the example as
// written; the CommonJS one keeps its imports at the top (TypeScript turns them into require())
// and runs the rest in an async function, since CommonJS has no top-level await.
import ts from 'typescript'

export function exampleModules(source: string): { esm: string; cjs: string } {
  const file = ts.createSourceFile('example.ts', source, ts.ScriptTarget.ES2022, true)
  const isImport = (statement: ts.Statement) => ts.isImportDeclaration(statement) || ts.isImportEqualsDeclaration(statement)
  const imports = file.statements.filter(isImport)
  const body = file.statements.filter((statement) => !isImport(statement))
  const text = (nodes: readonly ts.Statement[]) => nodes.map((node) => node.getFullText(file)).join('')
  const cjs = [
    text(imports).trim(),
    '',
    'async function main(): Promise<void> {',
    text(body).replace(/^\n+/, ''),
    '}',
    'main().catch((error: unknown) => {',
    '  console.error(error)',
    '  process.exitCode = 1',
    '})',
    '',
  ].join('\n')
  return { esm: source, cjs }
}

/** JavaScript of one module kind (types stripped; the type check is separate). */
export function transpileExample(source: string, kind: 'esm' | 'cjs'): string {
  const module = kind === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS
  return ts.transpileModule(source, { compilerOptions: { module, target: ts.ScriptTarget.ES2022 } }).outputText
}
