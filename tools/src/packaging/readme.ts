// What the packaging check reads from a package README: fenced code blocks with a title, e.g.
// ```ts title="example.ts"``` (run as a program) or ```sh title="install"``` (the install lines).
// Renderers show the language only, so a reader sees ordinary code blocks.

export interface CodeBlock {
  lang: string
  title?: string
  code: string
  /** 1-based line of the opening fence, for messages. */
  line: number
}

const FENCE = /^(`{3,})([\w-]*)(.*)$/

/** Every fenced code block of a Markdown document, with its language and `title="…"` if any. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    const end = lines.findIndex((text, j) => j > i && text.startsWith(open[1]) && text.trim() === open[1])
    if (end < 0) throw new Error(`Unclosed code block at line ${i + 1}`)
    const title = /title="([^"]+)"/.exec(open[3])?.[1]
    blocks.push({ lang: open[2], title, code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 })
    i = end
  }
  return blocks
}

/** Programs to run: TypeScript blocks titled `example….ts` and shell blocks titled `example….sh`. */
export function exampleBlocks(markdown: string): CodeBlock[] {
  return codeBlocks(markdown).filter((block) => /^example[\w-]*\.(ts|sh)$/.test(block.title ?? ''))
}

/** Image paths a README shows that are relative to the package (`![alt](docs/x.png)`), which the tarball must hold. */
export function relativeImages(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
}
