/**
 * What the comparison page (bench/libraries/page.ts) needs of each library, each adapter
 * written the way that library's own documentation shows: this library's `connect`,
 * PeerJS's `Peer` and `DataConnection`, trystero's room and actions, and a bare
 * `RTCPeerConnection` with one `RTCDataChannel` per pair.
 */

/** Where the servers of this round listen (all on 127.0.0.1). */
export interface Servers {
  /** This library's hub, `http://127.0.0.1:<port>`. */
  readonly hub: string
  /** PeerJS's server port (path `/peerjs`). */
  readonly peer: number
  /** The aedes broker over WebSocket, `ws://127.0.0.1:<port>`. */
  readonly mqtt: string
  /** The raw pages' signalling relay, `ws://127.0.0.1:<port>`. */
  readonly relay: string
}

/** What a tab does with what it is sent (the same for every library). */
export interface Serve {
  /** The answer to a request: an echo of a small value, the length of a byte array, the count of messages. */
  answer(data: unknown): unknown
  /** A one-way message arrived. */
  message(data: unknown): void
}

export interface StartOptions {
  /** This tab's id (trystero picks its own: it has no way to choose one). */
  readonly id: string
  /** The cluster, room or application id of this round. */
  readonly room: string
  /** Peers to open a connection to (PeerJS only: it has no discovery; the others find each other). */
  readonly dial: readonly string[]
  readonly servers: Servers
  readonly serve: Serve
  /** This library only: its `maxDirectLinks` (0 keeps every link on the hub's relay). */
  readonly maxDirectLinks?: number
}

/** One library started in one tab. */
export interface Member {
  /** The id other members know this tab by. */
  readonly id: string
  /** Calls `listener` once for each peer that can now be sent to, those already known included. */
  onPeer(listener: (peer: string) => void): void
  /** Sends `data` to `peer` and resolves with the peer's `Serve.answer`. */
  request(peer: string, data: unknown): Promise<unknown>
  /** Sends `data` one way; resolves once the library has taken it. */
  send(peer: string, data: unknown): Promise<void> | void
  /**
   * The moment (epoch ms) the link to `peer` became a direct data channel, waiting for it
   * if need be. Only this library links over a relay first; for the others a usable link
   * is a direct one.
   */
  directAt?(peer: string): Promise<number>
  /** This library only: the moments (epoch ms) its steps toward each peer happened, for finding where the time goes. */
  marks?(): LibraryMarks
  close(): Promise<void>
}

/** The moments (epoch ms) a library reached its steps, those it has not reached left out. */
export interface LibraryMarks {
  /** `connect()` resolved: the hub answered the join. */
  readonly connected?: number
  /** By peer: its link was up (`nodeup`, over the relay at first) and became direct (`path` `direct`). */
  readonly peers: Readonly<Record<string, { readonly link?: number; readonly direct?: number }>>
  /** The library's own debug log since it was started, each line with its moment (epoch ms), where the page keeps one. */
  readonly log?: ReadonlyArray<readonly [number, string]>
}

export type Start = (options: StartOptions) => Promise<Member>

/** Milliseconds since the epoch with performance.now()'s resolution: one clock for every tab. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now()
}

/** Calls each listener once per peer, peers known before a listener came included. */
export class PeerList {
  private readonly known = new Set<string>()
  private readonly listeners: Array<(peer: string) => void> = []

  add(peer: string): void {
    if (this.known.has(peer)) return
    this.known.add(peer)
    for (const listener of this.listeners) listener(peer)
  }

  has(peer: string): boolean {
    return this.known.has(peer)
  }

  listen(listener: (peer: string) => void): void {
    this.listeners.push(listener)
    for (const peer of this.known) listener(peer)
  }
}
