import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'

export interface PackageManifest {
  name: string
  version: string
  private?: boolean
  engines?: { node?: string }
  scripts?: Record<string, string>
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
  devDependencies?: Record<string, string>
}

export interface WorkspacePackage {
  name: string
  /** Folder name under packages/. */
  dir: string
  path: string
  manifest: PackageManifest
  readme: string
}

export function readManifest(path: string): PackageManifest {
  return JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as PackageManifest
}

/** The packages under packages/ that are published (not private), in folder order. */
export function publishablePackages(root: string): WorkspacePackage[] {
  return readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir, path: join(root, 'packages', dir) }))
    .filter(({ path }) => existsSync(join(path, 'package.json')))
    .map(({ dir, path }) => ({ dir, path, manifest: readManifest(path) }))
    .filter(({ manifest }) => !manifest.private)
    .map(({ dir, path, manifest }) => ({ name: manifest.name, dir, path, manifest, readme: readFileSync(join(path, 'README.md'), 'utf8') }))
}
