/** Small DOM helpers for the demo: no framework, just elements. */

export type Child = Node | string | number | null | undefined | false

type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>

/**
 * Creates an element. String attributes are set as attributes (`class`, `title`,
 * `data-*`, ...), `on*` functions become event listeners, `true` sets a boolean attribute.
 *
 * @example
 * h('button', { class: 'primary', onclick: () => add(1) }, '+1')
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value)
    else element.setAttribute(key, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

export function append(parent: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.append(child instanceof Node ? child : String(child))
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** Finds an element that index.html is known to have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`#${id} is missing from index.html`)
  return element as T
}

/** Runs `render` at most once per animation frame, however often it is asked for. */
export function batched(render: () => void): () => void {
  let queued = false
  return () => {
    if (queued) return
    queued = true
    requestAnimationFrame(() => {
      queued = false
      render()
    })
  }
}

/** Restarts a CSS animation class on `element` (for "this just changed" flashes). */
export function flash(element: Element, className = 'flash'): void {
  element.classList.remove(className)
  void (element as HTMLElement).offsetWidth
  element.classList.add(className)
}

export const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })

export const ms = (value: number): string => (value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`)
