// The install lines of a README (`npm install …` / `pnpm add …`), read into what a fresh project
// needs: the packages, the environment set before the command, and pnpm's build decisions.

export interface InstallLine {
  manager: 'npm' | 'pnpm'
  /** `NAME=value` assignments before the command. */
  env: Record<string, string>
  /** Package names (no version), in order. */
  packages: string[]
  /** pnpm's `--allow-build=NAME` (true) and `--allow-build='!NAME'` (false). */
  allowBuilds: Record<string, boolean>
  global: boolean
}

/** Splits a shell line into words; quotes ('…' or "…") may be any part of a word (no other shell syntax). */
export function shellWords(line: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: string | undefined
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = undefined
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      word ??= ''
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else word = (word ?? '') + char
  }
  if (quote) throw new Error(`Unclosed ${quote} in: ${line}`)
  if (word !== undefined) words.push(word)
  return words
}

/** Reads one `npm install` / `npm i` / `pnpm add` line; anything else is refused with the line quoted. */
export function parseInstallLine(line: string): InstallLine {
  const words = shellWords(line.trim())
  const env: Record<string, string> = {}
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=')
    env[name] = value.join('=')
  }
  const [tool, verb, ...rest] = words
  const manager = tool === 'npm' && (verb === 'install' || verb === 'i') ? 'npm' : tool === 'pnpm' && verb === 'add' ? 'pnpm' : undefined
  if (!manager) throw new Error(`Expected "npm install …" or "pnpm add …" but received: ${line}`)
  const result: InstallLine = { manager, env, packages: [], allowBuilds: {}, global: false }
  for (const word of rest) {
    if (word === '-g' || word === '--global') result.global = true
    else if (word.startsWith('--allow-build=') && manager === 'pnpm') {
      const name = word.slice('--allow-build='.length)
      if (name.startsWith('!')) result.allowBuilds[name.slice(1)] = false
      else result.allowBuilds[name] = true
    } else if (word.startsWith('-')) throw new Error(`Unexpected option ${word} in: ${line}`)
    else result.packages.push(word.replace(/(.)@[^/]*$/, '$1'))
  }
  return result
}
