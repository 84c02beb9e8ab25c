import { existsSync } from 'node:fs'
import path from 'node:path'

/** The workspace root (the folder holding pnpm-workspace.yaml) above the working directory or this script. */
export function findRepoRoot(): string | undefined {
  for (const start of [process.cwd(), typeof __dirname === 'string' ? __dirname : undefined]) {
    if (!start) continue
    let dir = path.resolve(start)
    for (;;) {
      if (existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir
      const parent = path.dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return undefined
}
