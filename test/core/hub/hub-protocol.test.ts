// The hub's time stamps a client reads: `at` in a join reply (when the hub confirmed the
// join) and `la` in a member-join (when the newcomer's hub read the members for its reply).
// From a hostile or broken hub they are dropped with the message, never half-read.
import { describe, expect, it } from 'vitest'
import { parseJoinReply, parseMemberNotice } from '../../../src/core/hub/hub-protocol.js'

const member = { id: 'm1', inc: 7 }

describe('parseJoinReply', () => {
  it('reads `at` when the hub sends it, and a reply without it as before', () => {
    expect(parseJoinReply({ ok: true, id: 'a', members: [member], at: 1_765_000_000_000.25 })).toEqual({ ok: true, id: 'a', members: [member], at: 1_765_000_000_000.25 })
    expect(parseJoinReply({ ok: true, id: 'a', members: [] })).toEqual({ ok: true, id: 'a', members: [] })
  })

  it('refuses a reply whose `at` is not a finite number', () => {
    for (const at of ['1', null, Infinity, Number.NaN, {}, [1]]) expect(parseJoinReply({ ok: true, id: 'a', members: [], at })).toBeNull()
  })

  it('never takes `unlisted` from the hub: a member list carries only what a member is', () => {
    expect(parseJoinReply({ ok: true, id: 'a', members: [{ ...member, unlisted: true, la: 3 }] })).toEqual({ ok: true, id: 'a', members: [member] })
  })
})

describe('parseMemberNotice', () => {
  it('reads `la` on a member-join', () => {
    expect(parseMemberNotice({ ...member, la: 42.5 })).toEqual({ ...member, la: 42.5 })
    expect(parseMemberNotice({ ...member, unlisted: true })).toEqual(member)
  })

  it('refuses `la` that is not a finite number, or on a leave', () => {
    for (const la of ['1', null, -Infinity, Number.NaN]) expect(parseMemberNotice({ ...member, la })).toBeNull()
    expect(parseMemberNotice({ ...member, la: 1, away: 500 })).toBeNull()
    expect(parseMemberNotice({ ...member, la: 1, kicked: 'spam' })).toBeNull()
  })
})
