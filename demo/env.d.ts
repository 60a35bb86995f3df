/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The hub URL, set by `npm start`; `?hub=` in the page URL wins over it. */
  readonly VITE_HUB_URL?: string
}

/** What the demo page exposes for the end-to-end tests (and for the devtools console). */
interface Window {
  __distribunator?: {
    readonly node: import('../src/browser/index.js').DistNode
    readonly hub: string
    readonly cluster: string
    /** The library's `connect`, for the devtools console (and the tests: a second node in a tab). */
    readonly connect: typeof import('../src/browser/index.js').connect
  }
}
