// The page's calls to the server (/api/…), typed by the server's own view types.
import type { UploadView } from '../api-types'

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly detail?: string,
    readonly setting?: string,
  ) {
    super(message)
  }
}

interface ErrorBody {
  error?: string
  detail?: string
  setting?: string
}

export async function api<T>(path: string, options: { method?: 'GET' | 'POST' | 'DELETE'; json?: unknown } = {}): Promise<T> {
  const init: RequestInit = { method: options.method ?? 'GET', headers: {} }
  if (options.json !== undefined) {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(options.json)
  }
  let response: Response
  try {
    response = await fetch(path, init)
  } catch {
    throw new ApiError('The server cannot be reached: is it still running?', 0)
  }
  if (response.status === 204) return undefined as T
  const body = (await response.json().catch(() => ({}))) as T & ErrorBody
  if (!response.ok) throw new ApiError(body.error ?? `The server answered ${response.status}`, response.status, body.detail, body.setting)
  return body
}

/** Sends a file as an upload, reporting progress; `abort` cancels it. */
export function uploadFile(file: File, uploadKey: string, onProgress: (share: number) => void): { done: Promise<UploadView>; abort: () => void } {
  const xhr = new XMLHttpRequest()
  const done = new Promise<UploadView>((resolve, reject) => {
    xhr.open('POST', '/api/uploads')
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name))
    xhr.setRequestHeader('X-Upload-Key', uploadKey)
    xhr.setRequestHeader('Content-Type', 'application/octet-stream')
    xhr.upload.addEventListener('progress', (event) => onProgress(event.lengthComputable ? event.loaded / event.total : 0))
    xhr.addEventListener('load', () => {
      let body: UploadView & ErrorBody
      try {
        body = JSON.parse(xhr.responseText) as UploadView & ErrorBody
      } catch {
        body = {} as UploadView & ErrorBody
      }
      if (xhr.status === 201) resolve(body)
      else reject(new ApiError(body.error ?? `The upload was refused (${xhr.status})`, xhr.status))
    })
    xhr.addEventListener('error', () => reject(new ApiError('The upload failed: is the server still running?', 0)))
    xhr.addEventListener('abort', () => reject(new ApiError('The upload was cancelled', 0)))
    xhr.send(file)
  })
  return { done, abort: () => xhr.abort() }
}

/** A job file's address; `download` asks the browser to save it. */
export function fileUrl(jobId: string, name: string, download = false): string {
  return `/api/jobs/${jobId}/files/${encodeURIComponent(name)}${download ? '?download=1' : ''}`
}
