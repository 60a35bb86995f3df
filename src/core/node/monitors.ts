/**
 * Monitors, as Erlang's: `monitor(pid, onDown)` tells the watcher once when that process
 * stops (its reason), was not alive (`noproc`), or its node is lost (`noconnection`).
 * A monitor on a local process is a watcher on it; on a remote one, a `mon` frame
 * answered by one `down`. This file holds both sides and what happens to them when a
 * process stops or a link drops.
 */
import type { Pid } from '../api/pid.js'
import { type DownFrame, type MonitorFrame, PROTOCOL_VERSION } from '../wire/protocol.js'
import type { LinkedNode } from './linked-node.js'
import type { MonitorHost } from './node-core.js'
import type { LocalProcess } from './process.js'

/** `node.monitor(pid, onDown)`; returns the function that cancels it. */
export function monitor(node: MonitorHost, pid: Pid, onDown: (reason: string) => void): () => void {
  let fired = false
  const once = (reason: string): void => {
    if (fired) return
    fired = true
    onDown(reason)
  }
  const later = (reason: string): (() => void) => {
    queueMicrotask(() => node.safely(() => once(reason)))
    return () => {}
  }
  if (pid.node === node.id) {
    const process = node.localProcess(pid)
    if (process === undefined) return later('noproc')
    const ref = node.nextRef()
    process.monitoredBy.set(ref, once)
    return () => void process.monitoredBy.delete(ref)
  }
  const linked = node.linked(pid.node)
  if (linked === undefined) return later('noconnection')
  if (linked.incarnation !== pid.incarnation) return later('noproc') // a pid of another life of that node
  const ref = node.nextRef()
  linked.monitorsOut.set(ref, once)
  linked.link.send({ v: PROTOCOL_VERSION, t: 'mon', ref, pid: pid.id })
  return () => {
    if (linked.monitorsOut.delete(ref)) linked.link.send({ v: PROTOCOL_VERSION, t: 'demon', ref })
  }
}

/** The linked node asks to watch one of this node's processes (`mon`). */
export function monitorRequested(node: MonitorHost, linked: LinkedNode, frame: MonitorFrame): void {
  const ref = frame.ref
  if (linked.monitorsIn.has(ref)) return node.report(linked, `duplicate monitor ref ${ref}`)
  const process = node.processById(frame.pid)
  if (process === undefined) return void linked.link.answer({ v: PROTOCOL_VERSION, t: 'down', ref, reason: 'noproc' })
  if (linked.monitorsIn.size >= node.options.maxMonitorsPerLink) {
    node.report(linked, `holds ${linked.monitorsIn.size} monitors already (maxMonitorsPerLink); monitor ${ref} refused`)
    return void linked.link.answer({ v: PROTOCOL_VERSION, t: 'down', ref, reason: 'system_limit' })
  }
  const monitoredByRef = node.nextRef()
  process.monitoredBy.set(monitoredByRef, (reason) => {
    linked.monitorsIn.delete(ref)
    linked.link.answer({ v: PROTOCOL_VERSION, t: 'down', ref, reason })
  })
  linked.monitorsIn.set(ref, { process, monitoredByRef })
}

/** The linked node stops watching (`demon`). */
export function demonitorRequested(linked: LinkedNode, ref: number): void {
  const entry = linked.monitorsIn.get(ref)
  if (entry === undefined) return
  linked.monitorsIn.delete(ref)
  entry.process.monitoredBy.delete(entry.monitoredByRef)
}

/** A process this node watches on the linked node stopped (`down`). */
export function downReceived(node: MonitorHost, linked: LinkedNode, frame: DownFrame): void {
  const onDown = linked.monitorsOut.get(frame.ref)
  if (onDown === undefined) return // demonitored meanwhile
  linked.monitorsOut.delete(frame.ref)
  node.safely(() => onDown(frame.reason))
}

/** A local process stopped: every watcher learns why, once. */
export function processStopped(node: Pick<MonitorHost, 'safely'>, process: LocalProcess, reason: string): void {
  const onExit = [...process.monitoredBy.values()]
  process.monitoredBy.clear()
  for (const onDown of onExit) node.safely(() => onDown(reason))
}

/** A link dropped: the linked node's monitors of this node's processes are gone. */
export function monitoredByLost(linked: LinkedNode): void {
  for (const { process, monitoredByRef } of linked.monitorsIn.values()) process.monitoredBy.delete(monitoredByRef)
  linked.monitorsIn.clear()
}

/** A link dropped: this node's monitors on the linked node's processes fire `noconnection`. */
export function monitorsLost(node: Pick<MonitorHost, 'safely'>, linked: LinkedNode): void {
  const downs = [...linked.monitorsOut.values()]
  linked.monitorsOut.clear()
  for (const onDown of downs) node.safely(() => onDown('noconnection'))
}
