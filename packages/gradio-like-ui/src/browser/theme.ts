// Loaded in the page's <head> before the first paint: the theme follows the system unless the
// toggle chose the other one (remembered in localStorage).
const KEY = 'anime-upscaler-ui:theme'
const system = window.matchMedia('(prefers-color-scheme: dark)')

function chosen(): 'light' | 'dark' | undefined {
  try {
    const value = localStorage.getItem(KEY)
    return value === 'light' || value === 'dark' ? value : undefined
  } catch {
    return undefined
  }
}

function current(): 'light' | 'dark' {
  return chosen() ?? (system.matches ? 'dark' : 'light')
}

function apply(): void {
  const theme = current()
  document.documentElement.dataset.theme = theme
  const toggle = document.getElementById('theme-toggle')
  toggle?.setAttribute('aria-pressed', String(theme === 'dark'))
}

/** Switches to the other theme; choosing the system's own theme goes back to following the system. */
function toggle(): void {
  const next = current() === 'dark' ? 'light' : 'dark'
  try {
    if (next === (system.matches ? 'dark' : 'light')) localStorage.removeItem(KEY)
    else localStorage.setItem(KEY, next)
  } catch {
    // Storage disabled: the choice lasts until the page is left.
    document.documentElement.dataset.theme = next
    return
  }
  apply()
}

apply()
system.addEventListener('change', apply)
document.addEventListener('DOMContentLoaded', () => {
  apply()
  document.getElementById('theme-toggle')?.addEventListener('click', toggle)
})
