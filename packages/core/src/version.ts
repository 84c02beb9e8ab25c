import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** This package's version, from its package.json (beside dist/ and src/): segments of a job are made by one version. */
export const CORE_VERSION: string = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version
