/**
 * Every failure the library reports is a `DistributedError` with a stable `code`.
 * `name` is set explicitly so that `instanceof`-free checks (`err.name === 'NoProcError'`)
 * work across bundle copies, and so that a remote error can be rebuilt from `{name, message}`.
 */

/** Stable error codes. */
export type ErrorCode =
  | 'timeout'
  | 'noproc'
  | 'nodedown'
  | 'no_node'
  | 'no_pid'
  | 'badrpc'
  | 'remote'
  | 'badarg'
  | 'closed'
  | 'already_linked'
  | 'too_large'
  | 'overloaded'
  | 'duplicate_id'
  | 'unauthorized'
  | 'hub_unreachable'
  | 'protocol'

/** Base class of every error this library throws or rejects with. */
export class DistributedError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'DistributedError'
  }
}

/** A `call` got no reply within its timeout. */
export class TimeoutError extends DistributedError {
  constructor(message = 'call timed out') {
    super('timeout', message)
    this.name = 'TimeoutError'
  }
}

/** The target process is not alive (or never existed). */
export class NoProcError extends DistributedError {
  constructor(message = 'no such process') {
    super('noproc', message)
    this.name = 'NoProcError'
  }
}

/** The target's node is not linked, or its link dropped while waiting. */
export class NodeDownError extends DistributedError {
  readonly node: string
  constructor(node: string, message = `node ${node} is down`) {
    super('nodedown', message)
    this.node = node
    this.name = 'NodeDownError'
  }
}

/** No node has the name registered (the seed's `{:error, "no node"}`). */
export class NoNodeError extends DistributedError {
  constructor(message = 'no node') {
    super('no_node', message)
    this.name = 'NoNodeError'
  }
}

/** No pid is registered under the name. */
export class NoPidError extends DistributedError {
  constructor(message = 'no pid') {
    super('no_pid', message)
    this.name = 'NoPidError'
  }
}

/** The seed's `{:badrpc, reason}`: `nodedown`, `undef`, `timeout` or the thrown error's message. */
export class BadRpcError extends DistributedError {
  readonly reason: string
  constructor(reason: string, message = `badrpc: ${reason}`, options?: { cause?: unknown }) {
    super('badrpc', message, options)
    this.reason = reason
    this.name = 'BadRpcError'
  }
}

/** A handler on another node threw; `remoteName` and `message` are the thrown error's. */
export class RemoteError extends DistributedError {
  readonly remoteName: string
  constructor(remoteName: string, message: string) {
    super('remote', message)
    this.remoteName = remoteName
    this.name = 'RemoteError'
  }
}

/** A public function was called with an invalid argument. */
export class BadArgError extends DistributedError {
  constructor(message: string) {
    super('badarg', message)
    this.name = 'BadArgError'
  }
}

/**
 * The link to the target's node holds more unsent data than `maxSendBufferBytes` (the
 * other side is not reading, or not fast enough): nothing was sent. Try again once it
 * drains, or treat the node as slow.
 */
export class OverloadedError extends DistributedError {
  readonly node: string
  constructor(node: string, message = `the link to node ${node} is overloaded`) {
    super('overloaded', message)
    this.node = node
    this.name = 'OverloadedError'
  }
}
