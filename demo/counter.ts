/**
 * The shared counter. It lives in a process of the Node worker, registered as `counter`;
 * the buttons change it with `call`. The worker then casts the new value to every pid of
 * `counter:view`, one per tab, so every tab shows each change without asking.
 */
import type { DistNode } from 'distribunator/browser'
import { byId, clock, flash, h, ms, replace } from './dom.js'
import { Names, colorOf, parseCounterUpdate, type CounterUpdate } from './shared.js'

const STEPS = [-1, 1, 10] as const
const HISTORY = 4

export function mountCounterPanel(node: DistNode): void {
  const value = byId('counter-value')
  const holder = byId('counter-holder')
  const history = byId('counter-history')
  const status = byId('counter-status')
  const buttons = byId('counter-buttons')

  const show = (update: CounterUpdate): void => {
    value.textContent = String(update.value)
    flash(value)
    history.prepend(
      h(
        'li',
        {},
        h('span', { class: 'h-value' }, String(update.value)),
        h('span', { class: `h-by ${update.by < 0 ? 'down' : ''}` }, `${update.by >= 0 ? '+' : '−'}${Math.abs(update.by)}`),
        h('span', { class: 'mono who', style: `--c: ${colorOf(update.from)}` }, update.from === node.id ? 'you' : update.from),
        h('span', { class: 'h-time' }, clock(Date.now())),
      ),
    )
    while (history.childElementCount > HISTORY) history.lastElementChild?.remove()
  }

  const view = node.spawn({
    handleCast: (msg) => {
      const update = parseCounterUpdate(msg)
      if (update !== null) show(update)
    },
  })
  node.register(Names.counterView, view)

  const refresh = (): void => {
    const pid = node.allPidsOf(Names.counter)[0]
    const available = pid !== undefined
    for (const button of buttons.querySelectorAll('button')) button.disabled = !available
    if (!available) {
      value.textContent = '–'
      holder.textContent = 'waiting for the Node worker to register "counter"…'
      return
    }
    replace(holder, 'held by ', h('span', { class: 'mono pid' }, pid.toString()), ' on ', h('b', {}, pid.node))
    node.call<number>(Names.counter, { type: 'get' }).then(
      (current) => {
        if (typeof current === 'number') value.textContent = String(current)
      },
      () => {},
    )
  }

  for (const by of STEPS) {
    const label = by > 0 ? `+${by}` : `−${-by}`
    buttons.append(
      h(
        'button',
        {
          class: by > 0 ? 'primary' : '',
          'data-by': by,
          onclick: () => {
            const started = performance.now()
            node.call<number>(Names.counter, { type: 'add', by }).then(
              (result) => {
                replace(status, h('code', {}, `call("counter", add ${label})`), ` → ${result} in ${ms(performance.now() - started)}`)
              },
              (error: unknown) => {
                replace(status, h('span', { class: 'error' }, error instanceof Error ? `${error.name}: ${error.message}` : String(error)))
              },
            )
          },
        },
        label,
      ),
    )
  }

  node.on('join', (name) => {
    if (name === Names.counter) refresh()
  })
  node.on('leave', (name) => {
    if (name === Names.counter) refresh()
  })
  refresh()
}
