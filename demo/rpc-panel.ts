/**
 * rpc with a callback, step by step. `nodeRpc("counter", "Demo", "square", ...)` runs
 * `Demo.square` on the node holding `counter` (the Node worker) inside a short-lived rpc
 * process. The callback runs here with the result while that process is still alive;
 * only after the callback returns does the worker end it. The worker monitors the
 * process and casts "exit seen" back, so the last step always comes after the callback.
 */
import type { DistNode, Pid } from 'distribunator/browser'
import { byId, h, ms, replace, type Child } from './dom.js'
import { Modules, Names, parseRpcExitSeen, type RpcExitSeen } from './shared.js'

/** How long the demo's callback keeps working, so the steps can be seen. */
const CALLBACK_MS = 900

type StepState = 'todo' | 'active' | 'done' | 'failed'

interface Run {
  readonly tag: string
  readonly started: number
  readonly steps: HTMLLIElement[]
  callbackDoneAt: number | undefined
}

const STEP_TITLES = [
  'request sent',
  'result arrived, the callback runs',
  'callback returned',
  'worker saw the rpc process exit',
] as const

export function mountRpcPanel(node: DistNode): void {
  const button = byId<HTMLButtonElement>('rpc-run')
  const input = byId<HTMLInputElement>('rpc-n')
  const list = byId('rpc-steps')
  const verdict = byId('rpc-verdict')
  let run: Run | undefined
  let counter = 0

  const set = (index: number, state: StepState, ...detail: Child[]): void => {
    const step = run?.steps[index]
    if (run === undefined || step === undefined) return
    step.className = `step ${state}`
    const time = step.querySelector('.step-time')
    if (time !== null && state !== 'todo' && state !== 'active') time.textContent = `+${ms(performance.now() - run.started)}`
    const body = step.querySelector('.step-detail')
    if (body !== null) replace(body, ...detail)
  }

  const events = node.spawn({
    handleCast: (msg) => {
      const seen = parseRpcExitSeen(msg)
      if (seen === null || run === undefined || seen.tag !== run.tag) return
      exitSeen(seen)
    },
  })
  node.register(Names.rpcEvents, events)

  function exitSeen(seen: RpcExitSeen): void {
    if (run === undefined) return
    const after = run.callbackDoneAt !== undefined
    set(3, 'done', 'monitor fired for ', h('span', { class: 'mono pid' }, seen.rpcPid), `, reason "${seen.reason}"`)
    replace(
      verdict,
      h(
        'span',
        { class: after ? 'ok' : 'error' },
        after ? 'The callback finished before the worker saw the caller exit, as promised.' : 'The exit was seen before the callback returned!',
      ),
    )
    button.disabled = false
  }

  const start = (): void => {
    const n = Number(input.value)
    if (!Number.isFinite(n)) return
    const steps = blankSteps()
    replace(list, ...steps)
    replace(verdict)
    run = { tag: `rpc-${++counter}`, started: performance.now(), steps, callbackDoneAt: undefined }
    const current = run
    button.disabled = true
    set(0, 'done', h('code', {}, `nodeRpc("${Names.counter}", "${Modules.demo}", "square", [${n}, ${events.toString()}], callback)`))
    set(1, 'active', 'waiting for the worker…')
    node
      .nodeRpc<number>(Names.counter, Modules.demo, 'square', [n, events, current.tag], async (result: number, rpcPid: Pid | undefined) => {
        const pid = h('span', { class: 'mono pid' }, String(rpcPid))
        set(1, 'done', h('b', {}, `${n}² = ${result}`), ' from rpc process ', pid)
        set(2, 'active', `working for ${CALLBACK_MS} ms while `, pid.cloneNode(true), ' stays alive…')
        await new Promise((resolve) => setTimeout(resolve, CALLBACK_MS))
        current.callbackDoneAt = performance.now()
        set(2, 'done', `after ${CALLBACK_MS} ms of work; now the worker may end `, pid.cloneNode(true))
        set(3, 'active', 'waiting for the monitor…')
        setTimeout(() => {
          if (run !== current || current.steps[3]?.classList.contains('done')) return
          set(3, 'failed', h('span', { class: 'error' }, 'no report from the worker within 5 s'))
          button.disabled = false
        }, 5000)
      })
      .catch((error: unknown) => {
        if (run !== current) return
        const index = current.steps.findIndex((s) => !s.classList.contains('done'))
        set(index < 0 ? 3 : index, 'failed', h('span', { class: 'error' }, error instanceof Error ? `${error.name}: ${error.message}` : String(error)))
        button.disabled = false
      })
  }

  button.addEventListener('click', start)
  const refresh = (): void => {
    const available = node.allPidsOf(Names.counter).length > 0
    if (!available) button.disabled = true
    else if (run === undefined || run.steps[3]?.classList.contains('done') || run.steps.some((s) => s.classList.contains('failed'))) button.disabled = false
  }
  node.on('join', (name) => name === Names.counter && refresh())
  node.on('leave', (name) => name === Names.counter && refresh())
  replace(list, ...blankSteps())
  refresh()
}

function blankSteps(): HTMLLIElement[] {
  return STEP_TITLES.map((title, i) =>
    h(
      'li',
      { class: 'step todo', 'data-step': i },
      h('span', { class: 'step-dot' }),
      h('span', { class: 'step-title' }, title),
      h('span', { class: 'step-time mono' }),
      h('div', { class: 'step-detail' }),
    ),
  )
}
