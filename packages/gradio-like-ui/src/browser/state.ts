// What the page knows: the server's config, the files in the input list, the jobs, what is selected.
import type { ConfigView, InterruptedList, JobView } from '../api-types'

/** A file in the input list: uploading, ready (an upload on the server), or refused. */
export interface FileEntry {
  key: number
  name: string
  size: number
  status: 'uploading' | 'ready' | 'error'
  progress: number
  /** The upload's id once the server has it. */
  id?: string
  kind?: 'image' | 'video'
  label?: string
  error?: string
  abort?: () => void
  /** Set once a job has run this file: adding new files then replaces it. */
  ranIn?: string
}

export const state = {
  config: undefined as unknown as ConfigView,
  files: [] as FileEntry[],
  /** The file "Test first frame" uses. */
  selectedFile: undefined as number | undefined,
  jobs: new Map<string, JobView>(),
  selectedJob: undefined as string | undefined,
  /** What the comparison shows: `preview:…`, `job:<id>:…` or `frame:<id>:…` ('' for nothing). */
  compareKey: '',
  /** The result picked in each job's gallery. */
  selectedResult: {} as Record<string, number>,
  /** When each job's view arrived, to let a running job's elapsed time tick between updates. */
  receivedAt: new Map<string, number>(),
  /** Jobs whose Pause click has not been answered yet: the page says "Pausing…" meanwhile. */
  pauseSent: new Set<string>(),
  /** Video jobs kept after the server stopped or crashed, to resume or discard. */
  interrupted: { jobs: [], folder: '' } as InterruptedList,
}

let nextKey = 1
export function newFileKey(): number {
  return nextKey++
}

export const FINISHED = ['done', 'failed', 'stopped']
