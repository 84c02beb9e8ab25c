// The project's sample drawing: made here, so demos, the web app's examples and tests can use it freely.
/** What changes between the drawings of the sample animation. */
export interface SamplePose {
  /** 0 closed … 1 wide open. */
  mouth: number
  eyesClosed: boolean
  /** Horizontal position of the sun in the 480-wide drawing. */
  sunX: number
}

const REST: SamplePose = { mouth: 0, eyesClosed: false, sunX: 400 }

/** A small anime-style drawing (flat colours, dark line art, gradients, lettering) at any size, as SVG. */
export function sampleSvg(width: number, height: number, pose: SamplePose = REST): string {
  const { mouth, eyesClosed, sunX } = pose
  const eyes = eyesClosed
    ? `<path d="M196 137 Q210 145 224 137 M256 137 Q270 145 284 137" fill="none"/>`
    : `<ellipse cx="210" cy="135" rx="14" ry="20" fill="url(#eye)"/>
    <ellipse cx="270" cy="135" rx="14" ry="20" fill="url(#eye)"/>`
  const mouthPath = mouth <= 0 ? `<path d="M230 172 Q240 180 250 172" fill="none"/>` : `<path d="M231 171 Q240 ${171 + 14 * mouth} 249 171 Z" fill="#b0304a"/>`
  const highlights = eyesClosed ? '' : `<circle cx="215" cy="128" r="5" fill="#fff"/><circle cx="275" cy="128" r="5" fill="#fff"/>`
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 480 270">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#7fb8f0"/><stop offset="1" stop-color="#fbe3f0"/></linearGradient>
    <radialGradient id="eye" cx="0.5" cy="0.6" r="0.6"><stop offset="0" stop-color="#6fd0ff"/><stop offset="1" stop-color="#1d4fa8"/></radialGradient>
  </defs>
  <rect width="480" height="270" fill="url(#sky)"/>
  <circle cx="${sunX}" cy="60" r="28" fill="#fff6c8"/>
  <path d="M0 230 Q120 190 240 225 T480 215 V270 H0Z" fill="#6cc07a" stroke="#2d5a34" stroke-width="2"/>
  <g stroke="#2a1a24" stroke-width="3" stroke-linejoin="round" stroke-linecap="round">
    <path d="M150 250 Q160 200 240 195 Q320 200 330 250Z" fill="#f26b8a"/>
    <path d="M170 120 Q170 40 240 38 Q310 40 310 120 Q310 200 240 205 Q170 200 170 120Z" fill="#ffe3d2"/>
    <path d="M160 130 Q150 30 240 25 Q335 30 320 135 Q300 80 270 70 Q250 100 205 95 Q185 90 180 75 Q165 95 160 130Z" fill="#8a5cc7"/>
    ${eyes}
    ${mouthPath}
    <path d="M192 110 Q210 102 226 110 M254 110 Q270 102 288 110" fill="none"/>
  </g>
  ${highlights}
  <ellipse cx="195" cy="160" rx="9" ry="4" fill="#ff9aa8" opacity="0.7"/><ellipse cx="285" cy="160" rx="9" ry="4" fill="#ff9aa8" opacity="0.7"/>
  <text x="24" y="40" font-family="sans-serif" font-weight="bold" font-size="26" fill="#ffffff" stroke="#2a1a24" stroke-width="1.5">anime-upscaler</text>
</svg>`
}

/**
 * The sample animation: 24 drawings shown on twos (each held for 2 frames), as anime is drawn: the
 * character talks and blinks while the sun drifts.
 */
export function samplePose(drawing: number): SamplePose {
  return { mouth: [0, 0.5, 1, 0.5][drawing % 4], eyesClosed: drawing % 12 === 7, sunX: 400 - drawing * 3 }
}
