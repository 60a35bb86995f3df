/**
 * Chat between tabs. Each tab registers an inbox under `chat`; sending casts the message
 * to every pid of that name. Only tabs join `chat`, so messages go straight from tab to
 * tab over their WebRTC data channels: neither the hub nor the Node worker is in the path.
 */
import type { DistNode } from 'distribunator/browser'
import { byId, clock, h } from './dom.js'
import { CHAT_MAX_CHARS, Names, colorOf, parseChatMessage, type ChatMessage } from './shared.js'

const KEEP = 200
const JOIN_GRACE_MS = 1500

export function mountChatPanel(node: DistNode): void {
  const log = byId('chat-log')
  const form = byId<HTMLFormElement>('chat-form')
  const input = byId<HTMLInputElement>('chat-input')
  const route = byId('chat-route')
  input.maxLength = CHAT_MAX_CHARS

  const add = (item: HTMLElement): void => {
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40
    log.append(item)
    while (log.childElementCount > KEEP) log.firstElementChild?.remove()
    if (atBottom) log.scrollTop = log.scrollHeight
  }

  const inbox = node.spawn({
    // the sender is the node the cast came from (`ctx.fromNode`, from the link): a tab
    // cannot write a message as someone else
    handleCast: (msg, ctx) => {
      const message = parseChatMessage(msg)
      if (message === null) return
      const from = ctx.fromNode
      const mine = from === node.id
      add(
        h(
          'li',
          { class: mine ? 'msg mine' : 'msg' },
          h('div', { class: 'msg-meta' }, h('span', { class: 'mono who', style: `--c: ${colorOf(from)}` }, mine ? 'you' : from), ' ', clock(message.at)),
          h('div', { class: 'bubble' }, message.text),
        ),
      )
    },
  })
  node.register(Names.chat, inbox)

  // Who comes and goes, from the registry's events on `chat`. The tabs that were here
  // before this one arrive with the first registry sync, just after connecting: no notice.
  const mountedAt = Date.now()
  const notice = (text: string): void => {
    if (Date.now() - mountedAt > JOIN_GRACE_MS) add(h('li', { class: 'notice' }, text))
  }
  node.on('join', (name, pid) => {
    if (name === Names.chat && pid.node !== node.id) notice(`${pid.node} joined the chat`)
  })
  node.on('leave', (name, pid) => {
    if (name === Names.chat && pid.node !== node.id) notice(`${pid.node} left the chat`)
  })

  const showRoute = (): void => {
    const others = node.allPidsOf(Names.chat).filter((pid) => pid.node !== node.id).length
    route.textContent = others === 0 ? 'open another tab to chat' : `cast to ${others} other tab${others === 1 ? '' : 's'}, peer to peer`
  }
  node.on('join', (name) => name === Names.chat && showRoute())
  node.on('leave', (name) => name === Names.chat && showRoute())
  showRoute()

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const text = input.value.trim().slice(0, CHAT_MAX_CHARS)
    if (text === '') return
    const message: ChatMessage = { type: 'chat', text, at: Date.now() }
    for (const pid of node.allPidsOf(Names.chat)) node.cast(pid, message)
    input.value = ''
  })
}
