// Packing a workspace package as `pnpm publish` would, and what its tarball must hold.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { relativeImages } from './readme'
import { describeFailure, run } from './run'
import type { PackageManifest, WorkspacePackage } from './workspace-packages'

export interface Tarball {
  file: string
  /** Paths inside the package (without the leading `package/`). */
  files: string[]
  manifest: PackageManifest
}

/** `pnpm pack` (workspace: ranges become versions) into a folder of its own; the tarball's path. */
export async function pack(pkg: WorkspacePackage, destination: string): Promise<string> {
  const folder = join(destination, pkg.dir)
  mkdirSync(folder, { recursive: true })
  const result = await run('pnpm', ['pack', '--pack-destination', folder], { cwd: pkg.path, env: process.env, timeoutMs: 120_000 })
  if (result.code !== 0) throw new Error(describeFailure(`pnpm pack in ${pkg.path}`, result))
  const [file] = readdirSync(folder)
  return join(folder, file)
}

export function readTarball(file: string): Tarball {
  const files = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((entry) => entry.replace(/^package\//, ''))
  const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' })) as PackageManifest
  return { file, files, manifest }
}

export function tarballText(file: string, path: string): string {
  return execFileSync('tar', ['-xzOf', file, `package/${path}`], { encoding: 'utf8' })
}

/**
 * What is wrong with a tarball's contents: missing LICENSE, README or CHANGELOG, README images not
 * shipped, scripts naming files that are not shipped, workspace: or exact ranges for sibling packages.
 */
export function tarballProblems(tarball: Tarball, readme: string, siblings: ReadonlySet<string>): string[] {
  const problems: string[] = []
  for (const required of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) if (!tarball.files.includes(required)) problems.push(`${required} is not in the tarball`)
  for (const image of relativeImages(readme)) if (!tarball.files.includes(image.replace(/^\.\//, ''))) problems.push(`README shows ${image}, which is not in the tarball`)
  for (const [name, script] of Object.entries(tarball.manifest.scripts ?? {})) {
    for (const [path] of script.matchAll(/(?<![\w@/-])[\w.-]+(\/[\w.-]+)*\.(m?js|cjs|ts)\b/g)) {
      if (!tarball.files.includes(path.replace(/^\.\//, ''))) problems.push(`script "${name}" runs ${path}, which is not in the tarball`)
    }
  }
  for (const [name, range] of Object.entries({ ...tarball.manifest.dependencies, ...tarball.manifest.peerDependencies })) {
    if (range.startsWith('workspace:')) problems.push(`dependency ${name} is still ${range}`)
    if (siblings.has(name) && /^\d/.test(range)) problems.push(`dependency ${name} is pinned to ${range}: use a range (workspace:^)`)
  }
  return problems
}
