import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type PendingRequest, PendingTable } from '../../../src/core/node/pending.js'

function request(): PendingRequest & { settled: Array<['resolve', unknown] | ['reject', Error]> } {
  const settled: Array<['resolve', unknown] | ['reject', Error]> = []
  return {
    settled,
    resolve: (value) => void settled.push(['resolve', value]),
    reject: (error) => void settled.push(['reject', error]),
  }
}

/** A table on the faked clock. */
const table = <E extends PendingRequest>(): PendingTable<E> => new PendingTable<E>(() => Date.now())

describe('PendingTable', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('an entry taken before its time stops its timer; a second take finds nothing', () => {
    const pending = table()
    const entry = request()
    const onTimeout = vi.fn()
    pending.add(1, entry, 100, onTimeout)
    expect(pending.take(1)).toBe(entry)
    expect(pending.take(1)).toBeUndefined()
    vi.advanceTimersByTime(200)
    expect(onTimeout).not.toHaveBeenCalled()
  })

  it('an entry whose time is up is removed and its onTimeout runs once; a late answer finds nothing', () => {
    const pending = table()
    const onTimeout = vi.fn()
    pending.add(7, request(), 100, onTimeout)
    vi.advanceTimersByTime(99)
    expect(onTimeout).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onTimeout).toHaveBeenCalledTimes(1)
    expect(pending.take(7)).toBeUndefined()
    vi.advanceTimersByTime(1000)
    expect(onTimeout).toHaveBeenCalledTimes(1)
  })

  it('Infinity starts no timer', () => {
    const pending = table()
    const entry = request()
    pending.add(1, entry, Infinity, () => {})
    expect(vi.getTimerCount()).toBe(0)
    expect(pending.take(1)).toBe(entry)
  })

  it('failAll rejects every entry with its own error, stops the timers and empties the table', () => {
    const pending = table()
    const a = request()
    const b = request()
    const onTimeout = vi.fn()
    pending.add(1, a, 100, onTimeout)
    pending.add(2, b, Infinity, onTimeout)
    let n = 0
    pending.failAll(() => new Error(`lost ${++n}`))
    expect(a.settled).toEqual([['reject', new Error('lost 1')]])
    expect(b.settled).toEqual([['reject', new Error('lost 2')]])
    expect(vi.getTimerCount()).toBe(0)
    expect(pending.take(1)).toBeUndefined()
    expect(pending.size).toBe(0)
    vi.advanceTimersByTime(200)
    expect(onTimeout).not.toHaveBeenCalled()
  })

  it('a thousand requests in flight share one timer, and each answered one leaves nothing behind', () => {
    const pending = table()
    for (let ref = 1; ref <= 1000; ref++) pending.add(ref, request(), 5000, () => {})
    expect(vi.getTimerCount()).toBe(1)
    for (let ref = 1; ref <= 1000; ref++) pending.take(ref)
    expect(pending.size).toBe(0)
    vi.advanceTimersByTime(5000)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('entries with different timeouts each expire at their own time, whatever the order they came in', () => {
    const pending = table()
    const expired: string[] = []
    const at = Date.now()
    const mark = (name: string) => () => void expired.push(`${name}@${Date.now() - at}`)
    pending.add(1, request(), 300, mark('a'))
    pending.add(2, request(), 100, mark('b')) // earlier than the timer set: it is set again
    pending.add(3, request(), 200, mark('c'))
    pending.add(4, request(), Infinity, mark('never'))
    pending.add(5, request(), 150, mark('taken'))
    pending.take(5)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['b@100', 'c@200', 'a@300'])
    expect(pending.size).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('deadlines a millisecond apart expire in a few sweeps, each at most 10 ms late', () => {
    const pending = table()
    const at = Date.now()
    const late: number[] = []
    for (let ref = 1; ref <= 1000; ref++) pending.add(ref, request(), 100 + ref, () => void late.push(Date.now() - at - (100 + ref)))
    let sweeps = 0
    while (vi.getTimerCount() > 0) {
      vi.advanceTimersToNextTimer()
      sweeps++
    }
    expect(late).toHaveLength(1000)
    expect(Math.min(...late)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...late)).toBeLessThanOrEqual(10)
    expect(sweeps).toBeLessThanOrEqual(1000 / 10 + 1)
  })

  it('an onTimeout may add and take entries of the same table', () => {
    const pending = table()
    const expired: number[] = []
    const retry = (ref: number, left: number): void =>
      pending.add(ref, request(), 50, () => {
        expired.push(ref)
        pending.take(ref + 100) // a neighbour answered meanwhile
        if (left > 0) retry(ref + 1, left - 1)
      })
    retry(1, 2)
    pending.add(101, request(), 1000, () => expired.push(101))
    vi.advanceTimersByTime(2000)
    expect(expired).toEqual([1, 2, 3])
    expect(pending.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })
})
