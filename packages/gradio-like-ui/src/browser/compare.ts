// Before/after comparison: the "after" picture is drawn over the "before" one and clipped at the
// divider; drag (or use the arrow keys on the divider) to reveal. Zoom: Fit, 100 %, 200 %, 400 %
// of the result's own pixels; when zoomed, drag the picture to pan, or the divider to move it.

type Zoom = 'fit' | 1 | 2 | 4

const ZOOMS: [Zoom, string][] = [
  ['fit', 'Fit'],
  [1, '100%'],
  [2, '200%'],
  [4, '400%'],
]

export interface ComparePair {
  before?: string
  after: string
  /** The result's size (the before picture is stretched to it). */
  width?: number
  height?: number
  caption?: string
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  node.className = className
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  return node
}

function load(image: HTMLImageElement, src: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (!src) return resolve(false)
    image.onload = () => resolve(true)
    image.onerror = () => resolve(false)
    image.src = src
  })
}

export class Compare {
  private position = 50
  private zoom: Zoom = 'fit'
  private size: { width: number; height: number } | undefined
  private readonly zoomButtons: HTMLButtonElement[]
  private readonly caption = element('span', 'compare-caption')
  private readonly viewport = element('div', 'compare-viewport')
  private readonly empty = element('div', 'compare-empty')
  private readonly stage = element('div', 'compare-stage')
  private readonly before = element('img', 'compare-before', { alt: 'Before', draggable: 'false' })
  private readonly after = element('img', 'compare-after', { alt: 'After', draggable: 'false' })
  private readonly handle = element('div', 'compare-handle', { role: 'slider', tabindex: '0', 'aria-label': 'Divider between before and after', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '50' })
  private readonly tags = element('div', 'compare-tags')

  constructor(private readonly root: HTMLElement) {
    const toolbar = element('div', 'compare-toolbar', { role: 'group', 'aria-label': 'Zoom' })
    this.zoomButtons = ZOOMS.map(([value, label]) => {
      const zoomButton = element('button', '', { type: 'button', 'data-zoom': String(value), 'aria-pressed': String(value === 'fit') })
      zoomButton.textContent = label
      zoomButton.addEventListener('click', () => this.setZoom(value))
      toolbar.append(zoomButton)
      return zoomButton
    })
    toolbar.append(this.caption)
    this.empty.textContent = 'Add a file and press "Test first frame" for a quick preview, or Upscale: the result appears here, before on the left, after on the right.'
    for (const label of ['Before', 'After']) this.tags.append(Object.assign(element('span', 'compare-tag'), { textContent: label }))
    this.stage.append(this.before, this.after, this.handle)
    this.viewport.append(this.empty, this.stage)
    const frame = element('div', 'compare-frame')
    frame.append(this.viewport, this.tags)
    root.append(toolbar, frame)
    this.clear()
    this.listen()
  }

  private listen(): void {
    this.stage.addEventListener('pointerdown', (event) => this.onPointerDown(event))
    this.stage.addEventListener('dblclick', () => this.setZoom(this.zoom === 'fit' ? 1 : 'fit'))
    this.handle.addEventListener('keydown', (event) => {
      const step = event.shiftKey ? 10 : 2
      const moves: Record<string, number> = { ArrowLeft: this.position - step, ArrowRight: this.position + step, Home: 0, End: 100 }
      if (!(event.key in moves)) return
      this.setPosition(moves[event.key])
      event.preventDefault()
    })
    new ResizeObserver(() => this.layout()).observe(this.viewport)
  }

  clear(): void {
    this.size = undefined
    this.stage.hidden = true
    this.tags.hidden = true
    this.empty.hidden = false
    this.caption.textContent = ''
    this.before.removeAttribute('src')
    this.after.removeAttribute('src')
    this.root.dataset.state = 'empty'
  }

  async show({ before, after, width, height, caption }: ComparePair): Promise<void> {
    this.root.dataset.state = 'loading'
    const [, afterLoaded] = await Promise.all([load(this.before, before), load(this.after, after)])
    this.size = { width: width || this.after.naturalWidth, height: height || this.after.naturalHeight }
    if (!afterLoaded || !this.size.width) return this.clear()
    this.caption.textContent = caption ?? ''
    this.empty.hidden = true
    this.stage.hidden = false
    this.tags.hidden = false
    this.layout()
    this.setPosition(this.position)
    this.root.dataset.state = 'ready'
  }

  private scale(): number {
    if (!this.size) return 1
    if (this.zoom !== 'fit') return this.zoom / (window.devicePixelRatio || 1)
    const availableHeight = Math.max(240, Math.min(window.innerHeight * 0.7, 900))
    return Math.min(this.viewport.clientWidth / this.size.width, availableHeight / this.size.height)
  }

  private layout(): void {
    if (!this.size) return
    const scale = this.scale()
    this.stage.style.width = `${Math.round(this.size.width * scale)}px`
    this.stage.style.height = `${Math.round(this.size.height * scale)}px`
    this.stage.classList.toggle('pannable', this.zoom !== 'fit')
    this.stage.classList.toggle('pixelated', this.zoom !== 'fit' && this.zoom >= 2)
  }

  private setZoom(value: Zoom): void {
    const centre = this.viewportCentre()
    this.zoom = value
    for (const zoomButton of this.zoomButtons) zoomButton.setAttribute('aria-pressed', String(zoomButton.dataset.zoom === String(value)))
    this.layout()
    // Keep the same point of the picture in the middle of the view.
    this.viewport.scrollLeft = centre.x * this.stage.offsetWidth - this.viewport.clientWidth / 2
    this.viewport.scrollTop = centre.y * this.stage.offsetHeight - this.viewport.clientHeight / 2
  }

  private viewportCentre(): { x: number; y: number } {
    const width = this.stage.offsetWidth || 1
    const height = this.stage.offsetHeight || 1
    return {
      x: Math.min(1, (this.viewport.scrollLeft + this.viewport.clientWidth / 2) / width),
      y: Math.min(1, (this.viewport.scrollTop + this.viewport.clientHeight / 2) / height),
    }
  }

  private setPosition(percent: number): void {
    this.position = Math.max(0, Math.min(100, percent))
    const rounded = Math.round(this.position * 10) / 10
    this.after.style.clipPath = `inset(0 0 0 ${rounded}%)`
    this.handle.style.left = `${rounded}%`
    this.handle.setAttribute('aria-valuenow', String(Math.round(this.position)))
    this.handle.setAttribute('aria-valuetext', `${Math.round(this.position)}% before, ${100 - Math.round(this.position)}% after`)
  }

  private onPointerDown(event: PointerEvent): void {
    if (event.button !== 0) return
    event.preventDefault()
    const panning = this.zoom !== 'fit' && event.target !== this.handle
    const start = { x: event.clientX, y: event.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop }
    const move = (moveEvent: PointerEvent) => {
      if (panning) {
        this.viewport.scrollLeft = start.left - (moveEvent.clientX - start.x)
        this.viewport.scrollTop = start.top - (moveEvent.clientY - start.y)
        return
      }
      const rect = this.stage.getBoundingClientRect()
      this.setPosition(((moveEvent.clientX - rect.left) / rect.width) * 100)
    }
    const up = () => {
      this.stage.removeEventListener('pointermove', move)
      this.stage.removeEventListener('pointerup', up)
      this.stage.removeEventListener('pointercancel', up)
    }
    this.stage.setPointerCapture(event.pointerId)
    this.stage.addEventListener('pointermove', move)
    this.stage.addEventListener('pointerup', up)
    this.stage.addEventListener('pointercancel', up)
    if (!panning) move(event)
    this.handle.focus({ preventScroll: true })
  }
}
