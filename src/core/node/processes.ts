/**
 * A node's local processes: spawning one (its behaviour checked, its mailbox bounded by
 * `maxMailbox`), finding one by pid or by number, and removing one that stops. What a
 * stop means beyond the table (the registry, monitors) is the node's (node.ts).
 */
import { BadArgError, NoProcError, OverloadedError } from '../api/errors.js'
import { Pid } from '../api/pid.js'
import type { Behaviour, ProcessContext, SpawnOptions } from '../api/types.js'
import { LocalProcess } from './process.js'
import { assertFunction, assertTimeout, describe } from './validate.js'

/** What the table needs of its node. */
export interface ProcessOwner {
  readonly id: string
  readonly incarnation: number
  /** The default bound of a mailbox (`maxMailbox`). */
  readonly maxMailbox: number
  /** The `ctx` a handler of process `pid` gets for one message. */
  context(pid: Pid, from: Pid | undefined, fromNode: string): ProcessContext
  /** Tells the app something went wrong (the `error` event). */
  report(message: string): void
}

export class ProcessTable {
  readonly #byId = new Map<number, LocalProcess>()
  #nextId = 1
  readonly #owner: ProcessOwner

  constructor(owner: ProcessOwner) {
    this.#owner = owner
  }

  /** Starts a process running `behaviour`; throws `BadArgError` for a bad behaviour or options. */
  spawn(behaviour: Behaviour, options: SpawnOptions = {}): Pid {
    if (typeof behaviour !== 'object' || behaviour === null) throw new BadArgError(`behaviour must be an object, got ${describe(behaviour)}`)
    for (const key of ['handleCall', 'handleCast', 'terminate'] as const) {
      if (behaviour[key] !== undefined) assertFunction(behaviour[key], `behaviour.${key}`)
    }
    if (typeof options !== 'object' || options === null) throw new BadArgError(`options must be an object, got ${describe(options)}`)
    const owner = this.#owner
    const max = options.maxMailbox ?? owner.maxMailbox
    assertTimeout(max, 'maxMailbox') // a positive number, or Infinity for no bound
    const pid = new Pid(owner.id, this.#nextId++, owner.incarnation)
    let dropped = 0
    const process = new LocalProcess(
      pid,
      behaviour,
      (from, fromNode) => owner.context(pid, from, fromNode),
      (envelope) => envelope.reply({ ok: false, error: new NoProcError(`${pid.toString()} is not alive`) }),
      {
        max,
        onFull: (envelope) => {
          const why = `${pid.toString()} has ${max} messages waiting (maxMailbox)`
          if (envelope.kind === 'call') return envelope.reply({ ok: false, error: new OverloadedError(owner.id, why) })
          // a cast is dropped: told at the first, then at every 1000th
          if (dropped++ % 1000 === 0) owner.report(`casts to ${pid.toString()} dropped (${dropped} so far): it has ${max} messages waiting (maxMailbox)`)
        },
      },
    )
    this.#byId.set(pid.id, process)
    return pid
  }

  /** The live process `pid` names (this node's id and incarnation), if any. */
  get(pid: Pid): LocalProcess | undefined {
    return pid.node === this.#owner.id && pid.incarnation === this.#owner.incarnation ? this.#byId.get(pid.id) : undefined
  }

  /** A process by its number, whatever pid named it (frames from a link carry bare numbers). */
  byId(id: number): LocalProcess | undefined {
    return this.#byId.get(id)
  }

  /** Takes the process `pid` out and ends it: the calls waiting in its mailbox fail `noproc`. Undefined if it is not alive. */
  remove(pid: Pid, reason: string): LocalProcess | undefined {
    const process = this.get(pid)
    if (process === undefined) return undefined
    this.#byId.delete(pid.id)
    for (const call of process.exit(reason)) call.reply({ ok: false, error: new NoProcError(`${pid.toString()} stopped`) })
    return process
  }

  /** The pids of every live process. */
  pids(): Pid[] {
    return [...this.#byId.values()].map((process) => process.pid)
  }
}
