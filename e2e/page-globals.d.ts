/** State the end-to-end specs keep in a demo page between `page.evaluate` calls. */
interface Window {
  __e2e?: {
    /** Messages cast to the spec's inbox process, in arrival order. */
    inbox: unknown[]
    /** `nodedown` events this tab saw, with `Date.now()` when they arrived. */
    downs: Array<{ id: string; reason: string; at: number }>
    /** Outcomes of calls started earlier, by label. */
    outcomes: Record<string, { ok: boolean; code?: string | undefined; value?: unknown; at: number }>
    /** Pids kept for later calls, by label. */
    pids: Record<string, import('../src/browser/index.js').Pid>
    /** `hub` events this tab saw: `['lost' | 'back', url]`. */
    hub: Array<[string, string]>
  }
  /** Calls a spec keeps making from this tab (reload.spec.ts): who answered, when, or why not. */
  __calls?: Array<{ via: 'tab' | 'worker'; ok: boolean; code?: string | undefined; at: number }>
  /** `error` events of this tab's node (reload.spec.ts). */
  __errors?: string[]
}
