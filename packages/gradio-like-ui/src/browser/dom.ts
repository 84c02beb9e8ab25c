// Small DOM helpers for the page.

/** The element with this id (the page's HTML defines every id the scripts use). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (!node) throw new Error(`The page has no #${id}`)
  return node as T
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

export function button(className: string, text: string, onClick: () => void, label?: string): HTMLButtonElement {
  const node = element('button', className, text)
  node.type = 'button'
  if (label) node.setAttribute('aria-label', label)
  node.addEventListener('click', onClick)
  return node
}

const ICONS = {
  image: ['M5 4h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z', 'M7 10a2 2 0 1 0 4 0a2 2 0 1 0-4 0', 'M21 16l-5-5-9 9'],
  video: ['M5 4h14a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z', 'M7 4v16M17 4v16M3 9h4M3 15h4M17 9h4M17 15h4'],
  file: ['M13 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V9z', 'M13 3v6h6'],
  download: ['M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3M8 11l4 4 4-4M12 15V4'],
}
export type IconName = keyof typeof ICONS

/** A small line icon (SVG: no emoji font needed), hidden from screen readers. */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  svg.setAttribute('viewBox', '0 0 24 24')
  svg.setAttribute('class', 'icon')
  svg.setAttribute('aria-hidden', 'true')
  for (const d of ICONS[name]) {
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path')
    path.setAttribute('d', d)
    svg.append(path)
  }
  return svg
}

/** An icon and a text, in a span. */
export function titled(kind: IconName, text: string, className?: string): HTMLSpanElement {
  const node = element('span', className)
  node.append(icon(kind), document.createTextNode(` ${text}`))
  return node
}

export function busy(node: HTMLButtonElement, on: boolean): void {
  node.disabled = on
  node.classList.toggle('busy', on)
}

/** A message under the main buttons: what went wrong, or what to do first. */
export function say(message: string, kind: 'info' | 'error' = 'info'): void {
  const node = $('action-message')
  node.textContent = message
  node.className = `inline-message ${kind}`
}
