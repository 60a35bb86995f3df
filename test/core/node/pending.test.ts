import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type PendingRequest, PendingTable } from '../../../src/core/node/pending.js'

function request(): PendingRequest & { settled: Array<['resolve', unknown] | ['reject', Error]> } {
  const settled: Array<['resolve', unknown] | ['reject', Error]> = []
  return {
    settled,
    timer: undefined,
    resolve: (value) => void settled.push(['resolve', value]),
    reject: (error) => void settled.push(['reject', error]),
  }
}

describe('PendingTable', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('an entry taken before its time stops its timer; a second take finds nothing', () => {
    const table = new PendingTable<PendingRequest>()
    const entry = request()
    const onTimeout = vi.fn()
    table.add(1, entry, 100, onTimeout)
    expect(entry.timer).toBeDefined()
    expect(table.take(1)).toBe(entry)
    expect(table.take(1)).toBeUndefined()
    vi.advanceTimersByTime(200)
    expect(onTimeout).not.toHaveBeenCalled()
  })

  it('an entry whose time is up is removed and its onTimeout runs once; a late answer finds nothing', () => {
    const table = new PendingTable<PendingRequest>()
    const onTimeout = vi.fn()
    table.add(7, request(), 100, onTimeout)
    vi.advanceTimersByTime(99)
    expect(onTimeout).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onTimeout).toHaveBeenCalledTimes(1)
    expect(table.take(7)).toBeUndefined()
  })

  it('Infinity starts no timer', () => {
    const table = new PendingTable<PendingRequest>()
    const entry = request()
    table.add(1, entry, Infinity, () => {})
    expect(entry.timer).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    expect(table.take(1)).toBe(entry)
  })

  it('failAll rejects every entry with its own error, stops the timers and empties the table', () => {
    const table = new PendingTable<PendingRequest>()
    const a = request()
    const b = request()
    const onTimeout = vi.fn()
    table.add(1, a, 100, onTimeout)
    table.add(2, b, Infinity, onTimeout)
    let n = 0
    table.failAll(() => new Error(`lost ${++n}`))
    expect(a.settled).toEqual([['reject', new Error('lost 1')]])
    expect(b.settled).toEqual([['reject', new Error('lost 2')]])
    expect(vi.getTimerCount()).toBe(0)
    expect(table.take(1)).toBeUndefined()
    vi.advanceTimersByTime(200)
    expect(onTimeout).not.toHaveBeenCalled()
  })
})
