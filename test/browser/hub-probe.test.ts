// A page's probe of a hub URL (src/browser/hub-probe.ts) over a stand-in `fetch` that
// answers as a browser does: a TypeError when nothing answers (refused, no such host,
// TLS failed), an opaque response for 'no-cors', a readable one for 'cors' when the
// server lets the page read it. What it says for each, and what it fetches.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { probeHub } from '../../src/browser/hub-probe.js'

type Answer = 'nothing' | 'opaque' | number

/** Stubs `fetch` (answers by URL and mode) and `location` (the page's origin); returns the requests made. */
function stub(answers: (url: string, mode: RequestMode) => Answer, origin = 'http://page.test:3000'): Array<[string, RequestMode]> {
  const requests: Array<[string, RequestMode]> = []
  vi.stubGlobal('location', { origin })
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const mode = init.mode ?? 'cors'
    requests.push([url, mode])
    expect(init.signal).toBeInstanceOf(AbortSignal)
    const answer = answers(url, mode)
    if (answer === 'nothing') throw new TypeError('Failed to fetch')
    // an opaque response cannot be built (its status is 0): what a page sees of one
    return answer === 'opaque' ? ({ type: 'opaque', status: 0, ok: false } as Response) : new Response('{"code":0,"message":"Transport unknown"}', { status: answer })
  })
  return requests
}

const NOTHING = 'check the host name and port, and that the hub is running'
const NOT_A_HUB = "answers, but not as a hub: check the port, or the hub's allowedOrigins and maxConnections"

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('probeHub after a WebSocket error', () => {
  it('nothing answers over either scheme: nothing there (a closed port, or no such host)', async () => {
    const requests = stub(() => 'nothing')
    expect(await probeHub('http://h.test:1', true)).toBe(`nothing answers at h.test:1: ${NOTHING}`)
    expect(requests).toEqual([
      ['http://h.test:1/socket.io/', 'no-cors'],
      ['https://h.test:1/socket.io/', 'no-cors'],
    ])
  })

  it('something answers at the URL: a server, but not as a hub (or a hub that turns this page away)', async () => {
    stub((url) => (url.startsWith('http:') ? 'opaque' : 'nothing'))
    expect(await probeHub('ws://h.test:1', true)).toBe(`h.test:1 ${NOT_A_HUB}`)
  })

  it('https:// or wss:// where only plain http answers: use http://', async () => {
    stub((url) => (url.startsWith('http:') ? 'opaque' : 'nothing'))
    expect(await probeHub('https://h.test:8080', true)).toBe('h.test:8080 answers http only: use http://h.test:8080')
    expect(await probeHub('wss://h.test:8080', true)).toBe('h.test:8080 answers http only: use http://h.test:8080')
  })

  it('http:// where only https answers: use https://', async () => {
    stub((url) => (url.startsWith('https:') ? 'opaque' : 'nothing'))
    expect(await probeHub('http://h.test', true)).toBe('h.test answers https only: use https://h.test')
  })
})

describe('probeHub of a WebSocket still opening', () => {
  it('at another origin: fetches nothing and says nothing (a slow hub there would cost a CORS error)', async () => {
    const requests = stub(() => 200)
    expect(await probeHub('http://h.test:1', false)).toBeUndefined()
    expect(requests).toEqual([])
  })

  it("at the page's own origin: reads what answers; a page (a dev server) is not a hub, engine.io's 400 may be one", async () => {
    const requests = stub(() => 200, 'http://h.test:5173')
    expect(await probeHub('http://h.test:5173', false)).toBe(`h.test:5173 ${NOT_A_HUB}`)
    expect(requests).toEqual([['http://h.test:5173/socket.io/', 'cors']])
    stub(() => 400, 'http://h.test:5173')
    expect(await probeHub('ws://h.test:5173', false)).toBeUndefined()
    stub(() => 'nothing', 'http://h.test:5173')
    expect(await probeHub('http://h.test:5173', false)).toBeUndefined()
  })
})
