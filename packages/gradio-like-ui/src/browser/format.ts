// Formatting and parsing shared by the page's modules (pure: unit-tested under Node).

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KiB`
  return `${bytes} B`
}

/** "12 s", "3:07", "1:02:03"; "—" when unknown. */
export function formatSeconds(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—'
  const total = Math.max(0, Math.round(seconds))
  if (total < 60) return `${total} s`
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const rest = String(total % 60).padStart(2, '0')
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st … */
export function ordinal(n: number): string {
  const tens = n % 100
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}

/**
 * The Scale box's text as a number, or why it cannot be one. Typing goes through unchanged
 * ("1." on the way to "1.5" is not rewritten); only a finished value is checked.
 */
export function parseScale(text: string, min: number, max: number): { value: number } | { error: string } {
  const trimmed = text.trim().replace(',', '.')
  const value = Number(trimmed)
  const allowed = `Scale is a number from ${min} to ${max}, such as 1.5, 2 or 2.7`
  if (trimmed === '' || !/^\d*\.?\d*$/.test(trimmed) || !Number.isFinite(value)) return { error: `${allowed}.` }
  if (value < min || value > max) return { error: `${allowed}; ${trimmed} is ${value < min ? 'too small' : 'too large'}.` }
  return { value }
}
