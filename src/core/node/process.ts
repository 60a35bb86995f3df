/**
 * A local process: a behaviour (GenServer style) with a mailbox that handles one message
 * at a time, in arrival order, awaiting async handlers before taking the next message.
 * A handler that throws fails that one call (the caller gets the error) and the process
 * keeps running. Once stopped, a process is dead forever.
 */
import type { Pid } from '../api/pid.js'
import type { Behaviour, ProcessContext } from '../api/types.js'
import { isThenable, soon } from '../util/async.js'
import { Queue } from '../util/queue.js'
import { reportListenerError } from '../util/emitter.js'

/** The outcome of a call, as delivered to whoever waits for the reply. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export type Envelope =
  | {
      kind: 'call'
      msg: unknown
      from: Pid | undefined
      fromNode: string
      reply: (outcome: Outcome) => void
      /** Told when the call may not be answered within this turn: it waits in the mailbox, or its handler is async. */
      wait?: () => void
    }
  | { kind: 'cast'; msg: unknown; from: Pid | undefined; fromNode: string }

export class LocalProcess {
  alive = true
  /** Monitors on this process: ref → notified once with the exit reason. */
  readonly monitoredBy = new Map<number, (reason: string) => void>()
  readonly #mailbox = new Queue<Envelope>()
  #running = false
  /** The call being handled now; `exit` answers it if the handler has not. */
  #current: Extract<Envelope, { kind: 'call' }> | undefined

  readonly #behaviour: Behaviour
  readonly #context: (from: Pid | undefined, fromNode: string) => ProcessContext
  readonly #onDeadCall: (envelope: Extract<Envelope, { kind: 'call' }>) => void
  readonly #maxMailbox: number
  readonly #onFull: (envelope: Envelope) => void

  constructor(
    readonly pid: Pid,
    behaviour: Behaviour,
    context: (from: Pid | undefined, fromNode: string) => ProcessContext,
    onDeadCall: (envelope: Extract<Envelope, { kind: 'call' }>) => void,
    /** Messages waiting at most; past it, `onFull` answers or drops the message. */
    mailbox: { readonly max: number; readonly onFull: (envelope: Envelope) => void },
  ) {
    this.#behaviour = behaviour
    this.#context = context
    this.#onDeadCall = onDeadCall
    this.#maxMailbox = mailbox.max
    this.#onFull = mailbox.onFull
  }

  /** Queues a message; the mailbox is worked off asynchronously. */
  post(envelope: Envelope): void {
    if (!this.alive) {
      if (envelope.kind === 'call') this.#onDeadCall(envelope)
      return
    }
    if (this.#mailbox.length >= this.#maxMailbox) return this.#onFull(envelope)
    this.#mailbox.push(envelope)
    if (this.#running) {
      if (envelope.kind === 'call') envelope.wait?.()
    } else {
      this.#running = true
      soon(() => void this.#drain())
    }
  }

  async #drain(): Promise<void> {
    while (this.alive && this.#mailbox.length > 0) {
      const envelope = this.#mailbox.shift() as Envelope
      // Synchronous handlers are run back to back; only a returned promise is awaited.
      const pending = envelope.kind === 'call' ? this.#handleCall(envelope) : this.#handleCast(envelope)
      if (pending !== undefined) await pending
    }
    this.#running = false
  }

  #handleCall(envelope: Extract<Envelope, { kind: 'call' }>): Promise<void> | undefined {
    const handler = this.#behaviour.handleCall
    if (handler === undefined) {
      envelope.reply({ ok: false, error: Object.assign(new Error('process has no handleCall'), { name: 'UndefinedHandler' }) })
      return undefined
    }
    this.#current = envelope
    let value: unknown
    try {
      value = handler.call(this.#behaviour, envelope.msg, this.#context(envelope.from, envelope.fromNode))
    } catch (error) {
      this.#answer(envelope, { ok: false, error })
      return undefined
    }
    if (!isThenable(value)) {
      this.#answer(envelope, { ok: true, value })
      return undefined
    }
    envelope.wait?.()
    return Promise.resolve(value).then(
      (result) => this.#answer(envelope, { ok: true, value: result }),
      (error: unknown) => this.#answer(envelope, { ok: false, error }),
    )
  }

  #answer(envelope: Extract<Envelope, { kind: 'call' }>, outcome: Outcome): void {
    if (this.#current !== envelope) return // the process stopped meanwhile and answered noproc
    this.#current = undefined
    envelope.reply(outcome)
  }

  #handleCast(envelope: Extract<Envelope, { kind: 'cast' }>): Promise<void> | undefined {
    const handler = this.#behaviour.handleCast
    if (handler === undefined) return undefined
    let result: unknown
    try {
      result = handler.call(this.#behaviour, envelope.msg, this.#context(envelope.from, envelope.fromNode))
    } catch (error) {
      reportListenerError(error)
      return undefined
    }
    return isThenable(result) ? Promise.resolve(result).then(undefined, reportListenerError) : undefined
  }

  /** Marks the process dead, runs `terminate`, and returns the calls not yet answered. */
  exit(reason: string): Array<Extract<Envelope, { kind: 'call' }>> {
    this.alive = false
    const pending = this.#mailbox.clear().filter((e): e is Extract<Envelope, { kind: 'call' }> => e.kind === 'call')
    if (this.#current !== undefined) pending.unshift(this.#current)
    this.#current = undefined
    try {
      this.#behaviour.terminate?.(reason)
    } catch (error) {
      reportListenerError(error)
    }
    return pending
  }
}
