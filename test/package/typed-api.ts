/**
 * The typed API as a user writes it, checked by the compiler only (test/package/types.test.ts
 * compiles it against the sources, and against the packed package in a consumer project).
 * Each `// @ts-expect-error <words>` line must be an error whose message holds <words>;
 * everything else must compile. Nothing here runs.
 */
import {
  type AnyPid,
  BadRpcError,
  type CallOf,
  createNode,
  DistributedError,
  type DistNode,
  NodeDownError,
  NoProcError,
  type Pid,
  type ReplyOf,
  TimeoutError,
  type WatchEvent,
} from 'distribunator'
import { connect } from 'distribunator/server'

/** True when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectType<T extends true>(): T | void {}

type Presence = { node: string; since: Date }

interface Names {
  counter: Pid<'increment' | 'read', number>
  presence: Pid<never, never, Presence>
  [doc: `doc:${string}`]: Pid<{ edit: string }, boolean, 'save'>
}

export async function pidsTypedBySpawn(node: DistNode): Promise<void> {
  let count = 0
  const counter = node.spawn({ handleCall: (msg: 'increment' | 'read') => (msg === 'increment' ? ++count : count) })
  // no handleCast: the pid takes no cast
  expectType<Equal<typeof counter, Pid<'increment' | 'read', number, never>>>()
  const n = await node.call(counter, 'increment')
  expectType<Equal<typeof n, number>>()
  // @ts-expect-error '"reset"' is not assignable to parameter of type '"increment" | "read"'
  await node.call(counter, 'reset')

  const doc = node.spawn({
    async handleCall(msg: { edit: string }) {
      return msg.edit.length > 0
    },
    handleCast(msg: 'save') {
      void msg
    },
  })
  const saved = await node.call(doc, { edit: 'x' }, 1000)
  expectType<Equal<typeof saved, boolean>>()
  node.cast(doc, 'save')
  // @ts-expect-error '"delete"' is not assignable to parameter of type '"save"'
  node.cast(doc, 'delete')
  // @ts-expect-error 'number' is not assignable to type 'string'
  await node.call(doc, { edit: 1 })

  // untyped handlers: anything goes, the reply is unknown (or what the handler returns)
  const echo = node.spawn({ handleCall: (msg) => msg })
  const back = await node.call(echo, { any: 'thing' })
  expectType<Equal<typeof back, unknown>>()
  const ticks = node.spawn({ handleCall: () => ++count })
  const tick = await node.call(ticks, 'whatever')
  expectType<Equal<typeof tick, number>>()

  // the reply type given explicitly (an unchecked assertion), as before typed pids: no message check
  const legacy = await node.call<string>(counter, 42)
  expectType<Equal<typeof legacy, string>>()
  const byName = await node.call<number>('counter', 'increment')
  expectType<Equal<typeof byName, number>>()

  // a typed pid is a Pid: it goes wherever any pid goes
  const plain: Pid = counter
  node.register('counter', counter)
  node.monitor(counter, () => {})
  node.stop(counter)
  plain.equals(doc)
  const anyPid: AnyPid = doc
  void anyPid
  // pids of unrelated message types do not mix
  // @ts-expect-error is not assignable to type 'Pid<number, unknown, unknown>'
  const wrong: Pid<number> = counter
  void wrong
  // an untyped pid (from a lookup, a message) can be given a type
  const looked: Pid<'increment' | 'read', number> | undefined = node.pidOf('counter')
  void looked

  // handlers call typed pids through their context too
  node.spawn({
    async handleCast(_msg, ctx) {
      const value = await ctx.call(counter, 'read')
      expectType<Equal<typeof value, number>>()
      // @ts-expect-error '"reset"' is not assignable to parameter of type '"increment" | "read"'
      await ctx.call(counter, 'reset')
    },
  })

  expectType<Equal<CallOf<typeof counter>, 'increment' | 'read'>>()
  expectType<Equal<ReplyOf<typeof doc>, boolean>>()
}

export async function namesTypedByMap(): Promise<void> {
  const node = createNode<Names>({ id: 'typed' })
  const count = await node.call('counter', 'increment')
  expectType<Equal<typeof count, number>>()
  // @ts-expect-error '"reset"' is not assignable to parameter of type '"increment" | "read"'
  await node.call('counter', 'reset')
  // @ts-expect-error '"conter"' is not assignable to parameter of type
  await node.call('conter', 'increment')
  // @ts-expect-error '"nobody"' is not assignable to parameter of type
  node.allPidsOf('nobody')

  const edited = await node.call(`doc:${String(count)}`, { edit: 'title' })
  expectType<Equal<typeof edited, boolean>>()
  node.cast('doc:readme', 'save')

  for (const pid of node.allPidsOf('presence')) node.cast(pid, { node: node.id, since: new Date() })
  // @ts-expect-error 'number' is not assignable to type 'string'
  node.cast('presence', { node: 1, since: new Date() })
  // @ts-expect-error '"hello"' is not assignable to parameter of type 'never'
  await node.call('presence', 'hello')

  node.register('presence', node.spawn({ handleCast: (msg: Presence) => void msg.since }))
  // spawned right inside register, the handler's message takes the name's type
  node.register(
    'counter',
    node.spawn({
      handleCall: (msg) => {
        expectType<Equal<typeof msg, 'increment' | 'read'>>()
        return msg === 'read' ? 0 : 1
      },
    }),
  )
  // @ts-expect-error is not assignable to parameter of type 'Pid<"increment" | "read", number, unknown>'
  node.register('counter', node.spawn({ handleCall: (msg: number) => String(msg) }))

  const first = node.pidOf('counter')
  expectType<Equal<typeof first, Pid<'increment' | 'read', number> | undefined>>()
  node.watch('presence', (event: WatchEvent<Pid<never, never, Presence>>) => {
    if (event.type === 'join') node.cast(event.pid, { node: node.id, since: new Date() })
  })
  // @ts-expect-error '"presense"' is not assignable to parameter of type
  node.watch('presense', () => {})
  // @ts-expect-error '"nobody"' is not assignable to parameter of type
  await node.nodeRpc('nobody', 'Mod', 'fn', [])

  // module(name) follows the map
  const Counter = node.module('counter')
  const read = await Counter.call('read')
  expectType<Equal<typeof read, number>>()
  // @ts-expect-error '"reset"' is not assignable to parameter of type '"increment" | "read"'
  await Counter.call('reset')
  expectType<Equal<ReturnType<typeof Counter.myPid>, Pid<'increment' | 'read', number>>>()
  // @ts-expect-error '"conter"' is not assignable to parameter of type
  node.module('conter')
  const Docs = node.module('doc:readme')
  Docs.cast('save')

  // the whole registry is untyped: its names come from every node
  const all = node.registry()
  expectType<Equal<typeof all, Array<[string, Pid[]]>>>()

  // code that takes any node takes DistNode<any>; an untyped node takes any name
  const anyNode: DistNode<any> = node
  const untyped: DistNode = createNode()
  const also: DistNode<any> = untyped
  void anyNode
  void also
  untyped.allPidsOf('whatever')
  await untyped.call(`any:${String(count)}`, Symbol('any message'))

  const remote = await connect<Names>({ hub: 'http://127.0.0.1:8080', cluster: 'demo' })
  const fromRemote = await remote.call('counter', 'read')
  expectType<Equal<typeof fromRemote, number>>()
  // @ts-expect-error '"conter"' is not assignable to parameter of type
  remote.cast('conter', 'read')
}

type Move = { from: number; to: number }
type Board = { cells: string[] }
interface GameNames {
  game: Pid<Move, Board, 'resign'>
}

/** Replies cannot lie: the reply type comes from the handler or is `unknown`, never from where it goes. */
export async function repliesCannotLie(node: DistNode, anyNode: DistNode<any>, anyPid: AnyPid, move: Move): Promise<void> {
  const typed = createNode<GameNames>()
  const game = typed.spawn({ handleCall: (msg: Move) => ({ cells: [String(msg.to)] }), handleCast: (msg: 'resign') => void msg })

  // a typed pid: the reply is the handler's, whatever the result is assigned to
  // @ts-expect-error Property 'totally' is missing in type '{ cells: string[]; }'
  const byPid: { totally: 'different' } = await node.call(game, move)
  // a typed name
  // @ts-expect-error Property 'totally' is missing in type 'Board'
  const byName: { totally: 'different' } = await typed.call('game', move)
  // a typed module handle
  // @ts-expect-error Property 'totally' is missing in type 'Board'
  const byModule: { totally: 'different' } = await typed.module('game').call(move)
  // from inside a process
  typed.spawn({
    async handleCast(_msg: 'go', ctx) {
      // @ts-expect-error Property 'totally' is missing in type '{ cells: string[]; }'
      const fromCtx: { totally: 'different' } = await ctx.call(game, move)
      void fromCtx
    },
  })
  const board: Board = await typed.call('game', move)

  // an untyped target answers `unknown`: an untyped name, pid, module, `AnyPid` or `DistNode<any>`
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const now: number = await node.call('clock', 'now')
  // @ts-expect-error Type 'unknown' is not assignable to type '{ totally: "different"; }'
  const untypedName: { totally: 'different' } = await node.call('game', move)
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const untypedModule: number = await node.module('clock').call('now')
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const fromAnyPid: number = await node.call(anyPid, 'now')
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const fromAnyNode: number = await anyNode.call('clock', 'now')
  const untyped = await node.call('clock', 'now')
  expectType<Equal<typeof untyped, unknown>>()
  // unless the caller names the reply: an assertion the compiler takes as said
  const asserted: number = await node.call<number>('clock', 'now')
  const assertedModule: number = await node.module('clock').call<number>('now')

  // rpc: exposed functions are untyped, so the result is `unknown` unless named
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const rpcNow: number = await node.doNodeRpc('server', 'Clock', 'now', [])
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const rpcByName: number = await typed.nodeRpc('game', 'Clock', 'now', [])
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  const rpcByModule: number = await typed.module('game').nodeRpc('Clock', 'now', [])
  // nor from the callback's parameter
  // @ts-expect-error Type 'unknown' is not assignable to type 'number'
  await node.doNodeRpc('server', 'Clock', 'now', [], (result: number) => result + 1)
  const rpcAsserted: number = await node.doNodeRpc<number>('server', 'Clock', 'now', [], (result) => result + 1)

  // a process without handleCast takes no cast, one without handleCall no call
  const counter = node.spawn({ handleCall: (msg: 'read') => msg.length })
  // @ts-expect-error Argument of type '"read"' is not assignable to parameter of type 'never'
  node.cast(counter, 'read')
  const log = node.spawn({ handleCast: (line: string) => void line })
  node.cast(log, 'started')
  // @ts-expect-error Argument of type '"started"' is not assignable to parameter of type 'never'
  await node.call(log, 'started')
  // an untyped pid still takes anything
  const plain: Pid = counter
  node.cast(plain, 'read')
  void [byPid, byName, byModule, board, now, untypedName, untypedModule, fromAnyPid, fromAnyNode, asserted, assertedModule]
  void [rpcNow, rpcByName, rpcByModule, rpcAsserted]
}

export function errorsNarrowByClass(error: unknown): string {
  const timeout: 'timeout' = new TimeoutError().code
  // @ts-expect-error Type '"timeout"' is not assignable to type '"noproc"'
  const notNoproc: 'noproc' = new TimeoutError().code
  void timeout
  void notNoproc
  if (error instanceof NodeDownError) {
    expectType<Equal<typeof error.code, 'nodedown'>>()
    return error.node
  }
  if (error instanceof BadRpcError) {
    expectType<Equal<typeof error.code, 'badrpc'>>()
    return error.reason
  }
  if (error instanceof NoProcError) {
    expectType<Equal<typeof error.code, 'noproc'>>()
    return error.code
  }
  if (error instanceof DistributedError) return error.code
  return 'unknown'
}
