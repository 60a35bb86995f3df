/**
 * Every failure the library reports is a `DistributedError` with a stable `code`, one
 * class per failure, and `code` narrows with the class (`error.code` of a `NoProcError`
 * is the literal `'noproc'`). `name` is set explicitly so that `instanceof`-free checks
 * (`err.name === 'NoProcError'`) work across bundle copies, and so that a remote error can
 * be rebuilt from `{name, message}`.
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
export class DistributedError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'DistributedError'
  }
}

/**
 * The classes the two factories below make, declared so that the published types name no
 * static of the platform's `Error` (Node's `captureStackTrace` would need Node's types).
 */
type FailureClass<C extends ErrorCode> = new (message?: string, options?: { cause?: unknown }) => DistributedError<C>
type NodeFailureClass<C extends ErrorCode> = new (node: string, message?: string) => DistributedError<C> & { readonly node: string }

/** A failure class with a fixed code and name, and a default message. */
function failure<C extends ErrorCode>(code: C, name: string, fallback?: string): FailureClass<C> {
  return class extends DistributedError<C> {
    constructor(message: string = fallback ?? name, options?: { cause?: unknown }) {
      super(code, message, options)
      this.name = name
    }
  }
}

/** A failure class about one node: it carries the node's id as `node`. */
function nodeFailure<C extends ErrorCode>(code: C, name: string, fallback: (node: string) => string): NodeFailureClass<C> {
  return class extends DistributedError<C> {
    readonly node: string
    constructor(node: string, message: string = fallback(node)) {
      super(code, message)
      this.node = node
      this.name = name
    }
  }
}

/** A `call` got no reply within its timeout (or a link handshake did not finish in time). */
export class TimeoutError extends failure('timeout', 'TimeoutError', 'call timed out') {}

/** The target process is not alive (or never existed, or belongs to another incarnation of its node). */
export class NoProcError extends failure('noproc', 'NoProcError', 'no such process') {}

/** The target's node is not linked, or its link dropped while waiting. */
export class NodeDownError extends nodeFailure('nodedown', 'NodeDownError', (node) => `node ${node} is down`) {}

/** No node has the name registered (the seed's `{:error, "no node"}`). */
export class NoNodeError extends failure('no_node', 'NoNodeError', 'no node') {}

/** No pid is registered under the name. */
export class NoPidError extends failure('no_pid', 'NoPidError', 'no pid') {}

/** The seed's `{:badrpc, reason}`: `nodedown`, `undef`, `timeout`, `system_limit` or the thrown error's message. */
export class BadRpcError extends DistributedError<'badrpc'> {
  readonly reason: string
  constructor(reason: string, message = `badrpc: ${reason}`, options?: { cause?: unknown }) {
    super('badrpc', message, options)
    this.reason = reason
    this.name = 'BadRpcError'
  }
}

/** A handler on another node threw; `remoteName` and `message` are the thrown error's. */
export class RemoteError extends DistributedError<'remote'> {
  readonly remoteName: string
  constructor(remoteName: string, message: string) {
    super('remote', message)
    this.remoteName = remoteName
    this.name = 'RemoteError'
  }
}

/** A public function was called with an invalid argument. */
export class BadArgError extends failure('badarg', 'BadArgError') {}

/**
 * A value, message or frame is larger than the limit of the side that would receive it
 * (`maxFrameBytes`, a channel's `maxMessageBytes`): nothing was sent.
 */
export class TooLargeError extends failure('too_large', 'TooLargeError') {}

/**
 * `connect()` could not join through any hub URL within `joinTimeoutMs`. The message says
 * why for each URL (connection refused, DNS failure, TLS against a plain http hub, a path
 * in the URL, a server that is not a hub, no answer); `cause` is the last failure's
 * underlying error (in Node the system error, with its `code`, such as `ECONNREFUSED`).
 */
export class HubUnreachableError extends failure('hub_unreachable', 'HubUnreachableError', 'no hub answered') {}

/** The node, link or signaling connection was closed before the operation could finish. */
export class ClosedError extends failure('closed', 'ClosedError', 'closed') {}

/**
 * A peer or a hub broke the protocol (a malformed or misplaced frame, a node introducing
 * itself by an id it was not expected to have); `node` is the peer's id when known. The
 * node drops what broke it and keeps running; these come through the `error` event.
 */
export class ProtocolError extends DistributedError<'protocol'> {
  readonly node: string | undefined
  constructor(message: string, node?: string, options?: { cause?: unknown }) {
    super('protocol', message, options)
    this.node = node
    this.name = 'ProtocolError'
  }
}

/** `link()` to a node this node is linked to already. */
export class AlreadyLinkedError extends nodeFailure('already_linked', 'AlreadyLinkedError', (node) => `already linked to node ${node}`) {}

/**
 * The link to the target's node holds more unsent data than `maxSendBufferBytes` (the
 * other side is not reading, or not fast enough): nothing was sent. Try again once it
 * drains, or treat the node as slow.
 */
export class OverloadedError extends nodeFailure('overloaded', 'OverloadedError', (node) => `the link to node ${node} is overloaded`) {}

/** The message of anything thrown, for error texts and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Anything thrown, as an Error (a non-Error becomes an Error with its text as the message). */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
