import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import { findRepoRoot } from '../repo-root'
import { CLIPS } from './video-report'

/** The video fixtures' paths by clip name: from `fixtures`, else ../shared/fixtures/video next to the clone. Throws naming what is missing. */
export function fixturePaths(fixtures: string | undefined, clips: string[]): Record<string, string> {
  let dir = fixtures
  if (!dir) {
    const root = findRepoRoot()
    if (!root) throw new Error('Cannot find the repository root (pnpm-workspace.yaml): pass --fixtures DIR (the folder holding hero_360p.webm and short_360p.mp4)')
    dir = path.resolve(root, '../shared/fixtures/video')
  }
  const paths: Record<string, string> = {}
  const missing: string[] = []
  for (const clip of clips) {
    const file = path.resolve(dir, CLIPS[clip])
    if (existsSync(file) && statSync(file).isFile()) paths[clip] = file
    else missing.push(file)
  }
  if (missing.length > 0) {
    throw new Error(`Video fixture${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}. They live in ../shared/fixtures/video next to the clone; pass --fixtures DIR for another folder.`)
  }
  return paths
}
