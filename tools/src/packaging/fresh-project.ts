// A fresh project outside the workspace that installs the packed tarballs the way a README says.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { InstallLine } from './install-line'
import { cleanEnv, describeFailure, run, type RunResult } from './run'

export type Manager = InstallLine['manager']

/** One manager's README lines taken together: every package, environment variable and build decision. */
export interface InstallPlan {
  packages: string[]
  env: Record<string, string>
  allowBuilds: Record<string, boolean>
}

/** Merges install lines; two READMEs that disagree (a variable or a build decision) are an error. */
export function installPlan(lines: InstallLine[]): InstallPlan {
  const plan: InstallPlan = { packages: [], env: {}, allowBuilds: {} }
  for (const line of lines) {
    for (const name of line.packages) if (!plan.packages.includes(name)) plan.packages.push(name)
    mergeAgreeing(plan.env, line.env, 'environment variable')
    mergeAgreeing(plan.allowBuilds, line.allowBuilds, 'build decision for')
  }
  return plan
}

function mergeAgreeing<T>(into: Record<string, T>, from: Record<string, T>, what: string): void {
  for (const [name, value] of Object.entries(from)) {
    if (name in into && into[name] !== value) throw new Error(`READMEs disagree on the ${what} ${name}: ${String(into[name])} and ${String(value)}`)
    into[name] = value
  }
}

export interface FreshProject {
  manager: Manager
  dir: string
  /** Our packages by name → tarball path. */
  tarballs: ReadonlyMap<string, string>
  /** Versions for the other packages the lines name (e.g. a peer dependency at the bottom of its range). */
  versions: Record<string, string>
  devDependencies: Record<string, string>
  /** TMPDIR of every command: inside the check's own folder. */
  tmpDir: string
}

/** Writes package.json (and pnpm-workspace.yaml) and installs; the install's result. */
export async function installFreshProject(project: FreshProject, plan: InstallPlan): Promise<RunResult> {
  const ours = Object.fromEntries([...project.tarballs].map(([name, file]) => [name, `file:${file}`]))
  const dependencies = Object.fromEntries(plan.packages.map((name) => [name, ours[name] ?? project.versions[name] ?? 'latest']))
  const manifest = { name: `fresh-${project.manager}-project`, version: '1.0.0', private: true, dependencies, devDependencies: project.devDependencies }
  if (project.manager === 'npm') {
    // Siblings are not in the registry: overrides point every dependent at the tarballs.
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ ...manifest, overrides: ours }, null, 2))
  } else {
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify(manifest, null, 2))
    writeFileSync(join(project.dir, 'pnpm-workspace.yaml'), pnpmWorkspaceYaml(plan.allowBuilds, ours))
  }
  const args =
    project.manager === 'npm'
      ? ['install', '--prefer-offline', '--no-audit', '--no-fund', '--engine-strict']
      : ['install', '--prefer-offline', '--no-frozen-lockfile']
  const result = await run(project.manager, args, { cwd: project.dir, env: cleanEnv({ ...plan.env, TMPDIR: project.tmpDir }), timeoutMs: 600_000 })
  if (result.code !== 0) throw new Error(describeFailure(`${project.manager} install in ${project.dir} (environment ${JSON.stringify(plan.env)})`, result))
  return result
}

function pnpmWorkspaceYaml(allowBuilds: Record<string, boolean>, overrides: Record<string, string>): string {
  const entries = (map: Record<string, string | boolean>) => Object.entries(map).map(([name, value]) => `  '${name}': ${typeof value === 'string' ? `'${value}'` : value}`)
  return ['allowBuilds:', ...entries(allowBuilds), 'overrides:', ...entries(overrides), ''].join('\n')
}
