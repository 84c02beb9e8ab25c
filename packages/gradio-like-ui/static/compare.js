// Before/after comparison: the "after" picture is drawn over the "before" one and clipped at the
// divider; drag (or use the arrow keys on the handle) to reveal. Zoom: Fit, 100 %, 200 %, 400 %
// of the result's own pixels; when zoomed, drag the picture to pan, or the handle to move the divider.

const ZOOMS = [
  ['fit', 'Fit'],
  [1, '100%'],
  [2, '200%'],
  [4, '400%'],
]

function element(tag, className, attributes = {}) {
  const node = document.createElement(tag)
  if (className) node.className = className
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  return node
}

export class Compare {
  constructor(root) {
    this.root = root
    this.position = 50
    this.zoom = 'fit'
    this.size = undefined

    this.toolbar = element('div', 'compare-toolbar')
    this.zoomButtons = ZOOMS.map(([value, label]) => {
      const button = element('button', '', { type: 'button', 'data-zoom': String(value), 'aria-pressed': String(value === 'fit') })
      button.textContent = label
      button.addEventListener('click', () => this.setZoom(value))
      this.toolbar.append(button)
      return button
    })
    this.caption = element('span', 'compare-caption')
    this.toolbar.append(this.caption)

    this.viewport = element('div', 'compare-viewport')
    this.empty = element('div', 'compare-empty')
    this.empty.textContent = 'Press "Test first frame" for a quick preview, or run a job: its result appears here, before on the left, after on the right.'
    this.stage = element('div', 'compare-stage')
    this.before = element('img', 'compare-before', { alt: 'Before', draggable: 'false' })
    this.after = element('img', 'compare-after', { alt: 'After', draggable: 'false' })
    this.handle = element('div', 'compare-handle', { role: 'slider', tabindex: '0', 'aria-label': 'Divider between before and after', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '50' })
    const tags = element('div', 'compare-tags')
    const beforeTag = element('span', 'compare-tag')
    beforeTag.textContent = 'Before'
    const afterTag = element('span', 'compare-tag')
    afterTag.textContent = 'After'
    tags.append(beforeTag, afterTag)
    this.stage.append(this.before, this.after, this.handle)
    this.viewport.append(this.empty, this.stage)
    const frame = element('div', 'compare-frame')
    frame.append(this.viewport, tags)
    this.tags = tags
    root.append(this.toolbar, frame)
    this.clear()

    this.stage.addEventListener('pointerdown', (event) => this.onPointerDown(event))
    this.stage.addEventListener('dblclick', () => this.setZoom(this.zoom === 'fit' ? 1 : 'fit'))
    this.handle.addEventListener('keydown', (event) => {
      const step = event.shiftKey ? 10 : 2
      if (event.key === 'ArrowLeft') this.setPosition(this.position - step)
      else if (event.key === 'ArrowRight') this.setPosition(this.position + step)
      else if (event.key === 'Home') this.setPosition(0)
      else if (event.key === 'End') this.setPosition(100)
      else return
      event.preventDefault()
    })
    new ResizeObserver(() => this.layout()).observe(this.viewport)
  }

  clear() {
    this.size = undefined
    this.stage.hidden = true
    this.tags.hidden = true
    this.empty.hidden = false
    this.caption.textContent = ''
    this.before.removeAttribute('src')
    this.after.removeAttribute('src')
    this.root.dataset.state = 'empty'
  }

  /** Shows a pair; `width` x `height` is the result's size (the before picture is stretched to it). */
  async show({ before, after, width, height, caption }) {
    this.root.dataset.state = 'loading'
    const load = (image, src) =>
      new Promise((resolve) => {
        if (!src) return resolve(false)
        image.onload = () => resolve(true)
        image.onerror = () => resolve(false)
        image.src = src
      })
    const [, afterLoaded] = await Promise.all([load(this.before, before), load(this.after, after)])
    this.size = { width: width || this.after.naturalWidth, height: height || this.after.naturalHeight }
    if (!afterLoaded || !this.size.width) {
      this.clear()
      return
    }
    this.caption.textContent = caption ?? ''
    this.empty.hidden = true
    this.stage.hidden = false
    this.tags.hidden = false
    this.layout()
    this.setPosition(this.position)
    this.root.dataset.state = 'ready'
  }

  scale() {
    if (!this.size) return 1
    if (this.zoom !== 'fit') return this.zoom / (window.devicePixelRatio || 1)
    const availableWidth = this.viewport.clientWidth
    const availableHeight = Math.max(240, Math.min(window.innerHeight * 0.7, 900))
    return Math.min(availableWidth / this.size.width, availableHeight / this.size.height)
  }

  layout() {
    if (!this.size) return
    const scale = this.scale()
    this.stage.style.width = `${Math.round(this.size.width * scale)}px`
    this.stage.style.height = `${Math.round(this.size.height * scale)}px`
    this.stage.classList.toggle('pannable', this.zoom !== 'fit')
    this.stage.classList.toggle('pixelated', this.zoom !== 'fit' && this.zoom >= 2)
  }

  setZoom(value) {
    const centre = this.viewportCentre()
    this.zoom = value
    for (const button of this.zoomButtons) button.setAttribute('aria-pressed', String(button.dataset.zoom === String(value)))
    this.layout()
    // Keep the same point of the picture in the middle of the view.
    this.viewport.scrollLeft = centre.x * this.stage.offsetWidth - this.viewport.clientWidth / 2
    this.viewport.scrollTop = centre.y * this.stage.offsetHeight - this.viewport.clientHeight / 2
  }

  viewportCentre() {
    const width = this.stage.offsetWidth || 1
    const height = this.stage.offsetHeight || 1
    return {
      x: Math.min(1, (this.viewport.scrollLeft + this.viewport.clientWidth / 2) / width),
      y: Math.min(1, (this.viewport.scrollTop + this.viewport.clientHeight / 2) / height),
    }
  }

  setPosition(percent) {
    this.position = Math.max(0, Math.min(100, percent))
    const rounded = Math.round(this.position * 10) / 10
    this.after.style.clipPath = `inset(0 0 0 ${rounded}%)`
    this.handle.style.left = `${rounded}%`
    this.handle.setAttribute('aria-valuenow', String(Math.round(this.position)))
    this.handle.setAttribute('aria-valuetext', `${Math.round(this.position)}% before, ${100 - Math.round(this.position)}% after`)
  }

  onPointerDown(event) {
    if (event.button !== 0) return
    event.preventDefault()
    const onHandle = event.target === this.handle
    const panning = this.zoom !== 'fit' && !onHandle
    const start = { x: event.clientX, y: event.clientY, left: this.viewport.scrollLeft, top: this.viewport.scrollTop }
    const move = (moveEvent) => {
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
