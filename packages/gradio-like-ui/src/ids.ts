import { randomBytes } from 'node:crypto'

/** A random id for jobs, uploads and previews: 128 bits, URL-safe, 22 characters. */
export function randomId(): string {
  return randomBytes(16).toString('base64url')
}

/** What `randomId` makes; anything else in a path names nothing. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/
