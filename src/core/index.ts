/**
 * distribunator: a `:pg`-style cluster of nodes (browser tabs, Node.js processes) with a
 * replicated registry of names → pids, `call`/`cast`, monitors and rpc-with-callback,
 * over any duplex `Channel`.
 */
export { Pid, isPid } from './pid.js'
export type { Channel } from './channel.js'
export { createMemoryChannelPair } from './channel.js'
export { createNode, type NodeOptions } from './node.js'
export { DEFAULT_CALL_TIMEOUT_MS } from './calls.js'
export type { Behaviour, ProcessContext } from './process.js'
export type { DistNode, LinkOpenOptions, ModuleHandle, NodeDownReason, NodeEvents, RpcCallback, RpcContext, RpcFunction, RpcOptions } from './types.js'
export {
  AlreadyLinkedError,
  BadArgError,
  BadRpcError,
  ClosedError,
  DistributedError,
  NoNodeError,
  NoPidError,
  NoProcError,
  NodeDownError,
  OverloadedError,
  ProtocolError,
  RemoteError,
  TimeoutError,
  TooLargeError,
  type ErrorCode,
} from './errors.js'
export { PROTOCOL_VERSION } from './protocol.js'
export type { Frame } from './protocol.js'
export { encodeValue, decodeValue, DEFAULT_MAX_BIGINT_DIGITS, type DecodeLimits, type Payload } from './codec.js'
export type { Signaling, JoinResult, PeerLike, PeerFactory, DataChannelLike } from './signaling.js'
