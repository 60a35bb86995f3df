/**
 * The `acceptRegistration` policy (`NodeOptions`): which names a node takes into its
 * registry replica from whom. Asked for this node's own `register` (a refusal throws
 * there) and for each name a linked node syncs or joins (a refusal keeps it out of the
 * replica, reported once per link and name). No policy takes everything; a policy that
 * throws refuses.
 */
import { errorMessage } from '../api/errors.js'
import type { NodeOptions } from '../api/types.js'
import type { LinkedNode } from './linked-node.js'
import { assertFunction } from './validate.js'

/** Refused names remembered per link, to report each once. */
const MAX_REFUSED_NAMES = 1024

export class RegistrationPolicy {
  readonly #accept: NodeOptions['acceptRegistration']
  readonly #claimsOf: (node: string) => unknown
  readonly #report: (linked: LinkedNode | undefined, message: string) => void

  /**
   * @param claimsOf what the hub stamped on a member, handed to the policy
   * @param report tells the app of a refusal or of a policy that threw (the `error` event)
   */
  constructor(accept: NodeOptions['acceptRegistration'], claimsOf: (node: string) => unknown, report: (linked: LinkedNode | undefined, message: string) => void) {
    if (accept !== undefined) assertFunction(accept, 'acceptRegistration')
    this.#accept = accept
    this.#claimsOf = claimsOf
    this.#report = report
  }

  /** Whether the policy takes `name` registered by `node`. */
  allows(name: string, node: string): boolean {
    const accept = this.#accept
    if (accept === undefined) return true
    try {
      return accept(name, node, this.#claimsOf(node)) === true
    } catch (error) {
      this.#report(undefined, `acceptRegistration threw for "${name}" of ${node}: ${errorMessage(error)}`)
      return false
    }
  }

  /** Whether the policy takes `name` registered by `linked`; a refusal is reported once per link and name. */
  accepts(linked: LinkedNode, name: string): boolean {
    if (this.allows(name, linked.id as string)) return true
    if (!linked.refusedNames.has(name) && linked.refusedNames.size < MAX_REFUSED_NAMES) {
      linked.refusedNames.add(name)
      this.#report(linked, `registration of "${name}" refused by acceptRegistration`)
    }
    return false
  }
}
