/**
 * distribunator: a `:pg`-style cluster of nodes (browser tabs, Node.js processes) with a
 * replicated registry of names → pids, `call`/`cast`, monitors and rpc-with-callback,
 * over any duplex `Channel`.
 */
export { Pid, isPid, type AnyPid, type CallOf, type CastOf, type ReplyOf } from './api/pid.js'
export type { AnyNames, CallResult, InferredReply, NameMap, NameOf, PidOfTarget, Target } from './api/names.js'
export type { Channel } from './api/channel.js'
export { createMemoryChannelPair, LinkLostError } from './api/channel.js'
export { createNode } from './node/node.js'
export { DEFAULT_CALL_TIMEOUT_MS } from './node/calls.js'
export type { Behaviour, ProcessContext, DistNode, NodeOptions, LinkOpenOptions, LinkPath, ModuleHandle, NodeDownReason, NodeEvents, RpcCallback, RpcContext, RpcFunction, RpcOptions, SpawnOptions } from './api/types.js'
export type { RegistryWatchEvent, WatchEvent } from './api/watch.js'
export {
  AlreadyLinkedError,
  BadArgError,
  BadRpcError,
  ClosedError,
  DistributedError,
  HubUnreachableError,
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
} from './api/errors.js'
export { PROTOCOL_VERSION } from './wire/protocol.js'
export type { Frame } from './wire/protocol.js'
export { encodeValue, decodeValue, DEFAULT_MAX_BIGINT_DIGITS, type DecodeLimits, type Payload } from './wire/codec.js'
export type { Signaling, JoinResult } from './hub/signaling.js'
export type { PeerLike, PeerFactory, DataChannelLike } from './webrtc/simple-peer.js'
export { setLogger, type Log, type LogFactory } from './util/log.js'
