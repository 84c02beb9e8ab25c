// Questions about an installed node_modules tree (npm's hoisted layout or pnpm's symlinked one).
import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import semver from 'semver'
import { readManifest, type PackageManifest } from './workspace-packages'

/** The folder Node would load `name` from when required from `fromDir`, or undefined. */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

/** Every package a package loads at run time, transitively: its folder and manifest, by folder. */
export function runtimeClosure(packageDir: string): Map<string, PackageManifest> {
  const seen = new Map<string, PackageManifest>()
  const visit = (dir: string) => {
    if (seen.has(dir)) return
    const manifest = readManifest(dir)
    seen.set(dir, manifest)
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies })) {
      const child = resolvePackageDir(name, dir)
      if (child) visit(child)
    }
  }
  visit(realpathSync(packageDir))
  return seen
}

/** Dependencies whose `engines.node` does not allow every Node version the package's own `engines.node` allows. */
export function enginesConflicts(packageDir: string): string[] {
  const closure = runtimeClosure(packageDir)
  const own = closure.get(realpathSync(packageDir))!
  const range = own.engines?.node
  if (!range) return [`${own.name} declares no engines.node`]
  return [...closure.values()]
    .filter((dep) => dep !== own && dep.engines?.node && !semver.subset(range, dep.engines.node))
    .map((dep) => `${own.name} allows Node ${range} but ${dep.name}@${dep.version} needs ${dep.engines!.node}`)
}

/** Real folders (symlinks not followed) holding a package called `name` anywhere under `root`/node_modules. */
export function installedCopies(root: string, name: string): string[] {
  const copies: string[] = []
  const walk = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      const path = join(modules, entry.name)
      if (entry.isSymbolicLink() || !entry.isDirectory()) continue
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path, { withFileTypes: true })) if (scoped.isDirectory()) visitPackage(join(path, scoped.name), `${entry.name}/${scoped.name}`)
      } else if (entry.name === '.pnpm') {
        for (const store of readdirSync(path, { withFileTypes: true })) if (store.isDirectory()) walk(join(path, store.name, 'node_modules'))
      } else visitPackage(path, entry.name)
    }
  }
  const visitPackage = (path: string, packageName: string) => {
    if (packageName === name && existsSync(join(path, 'package.json'))) copies.push(path)
    walk(join(path, 'node_modules'))
  }
  walk(join(root, 'node_modules'))
  return copies
}

/** Packages in a package's run-time closure that have an install-time script (preinstall, install, postinstall). */
export function buildScriptPackages(packageDir: string): string[] {
  return [...runtimeClosure(packageDir).values()]
    .filter((manifest) => manifest.scripts && ['preinstall', 'install', 'postinstall'].some((hook) => hook in manifest.scripts!))
    .map((manifest) => manifest.name)
}

/**
 * Whether TypeScript's node16/nodenext and bundler resolution find a package's types: when it has an
 * `exports` map, only through a `types` condition. (rxjs before 7.5.5 has types for node10 resolution only.)
 */
export function typesReachableThroughExports(manifest: PackageManifest & { exports?: unknown }): boolean {
  return manifest.exports === undefined || JSON.stringify(manifest.exports).includes('"types"')
}
