/**
 * The demo page as a person uses it: three tabs and the Node worker; presence, the shared
 * counter, chat, the rpc steps and the registry inspector all react; no console errors;
 * a screenshot is kept as a test artifact (test-results/e2e/…/demo.png).
 */
import { expect, test } from './fixtures.js'

test('the demo page shows presence, the shared counter, chat, rpc steps and the registry, with no console errors', async ({ tabs, services }, testInfo) => {
  await services.worker()
  const a = await tabs.open('tab-a1f3')
  const b = await tabs.open('tab-7c20')
  const c = await tabs.open('tab-e94b')
  const all = [a, b, c]

  // presence: every tab lists the four nodes, itself first, the worker as a Node.js node
  for (const tab of all) {
    const members = tab.page.locator('#presence-list li')
    await expect(members).toHaveCount(4)
    await expect(members.first()).toHaveAttribute('data-node', tab.id)
    await expect(tab.page.locator('#presence-list li[data-node="worker"] .kind')).toHaveText('Node.js')
    await expect(tab.page.locator('#presence-list li .kind', { hasText: 'tab' })).toHaveCount(3)
    await expect(tab.page.locator('#links')).toHaveText('3 links · all WebRTC', { timeout: 15_000 })
  }

  // the shared counter: a call from one tab, the new value cast to every tab
  await a.page.getByRole('button', { name: '+10', exact: true }).click()
  await expect(b.page.locator('#counter-value')).toHaveText('10')
  await b.page.getByRole('button', { name: '+1', exact: true }).click()
  for (const tab of all) {
    await expect(tab.page.locator('#counter-value')).toHaveText('11')
    await expect(tab.page.locator('#counter-history li').first()).toContainText(tab === b ? '11+1you' : '11+1tab-7c20')
  }
  await expect(b.page.locator('#counter-status')).toContainText('→ 11')
  await expect(a.page.locator('#counter-holder')).toContainText('on worker')

  // chat between tabs
  const lines: Array<[typeof a, string]> = [
    [a, 'Hello from the first tab!'],
    [b, 'Hi! This goes straight over WebRTC.'],
    [c, 'And the worker never sees it.'],
  ]
  for (const [tab, text] of lines) {
    await tab.page.locator('#chat-input').fill(text)
    await tab.page.locator('#chat-input').press('Enter')
    for (const reader of all) await expect(reader.page.locator('#chat-log .bubble').last()).toHaveText(text)
  }
  await expect(a.page.locator('#chat-log .msg.mine .bubble')).toHaveText(['Hello from the first tab!'])
  await expect(a.page.locator('#chat-route')).toHaveText('cast to 2 other tabs, peer to peer')

  // rpc with a callback, step by step, in the right order
  await a.page.locator('#rpc-n').fill('12')
  await a.page.getByRole('button', { name: 'Run nodeRpc' }).click()
  await expect(a.page.locator('#rpc-steps li.done')).toHaveCount(4)
  await expect(a.page.locator('#rpc-steps li[data-step="1"] .step-detail')).toContainText('12² = 144')
  await expect(a.page.locator('#rpc-steps li[data-step="3"] .step-detail')).toContainText('reason "normal"')
  await expect(a.page.locator('#rpc-verdict .ok')).toHaveText('The callback finished before the worker saw the caller exit, as promised.')

  // the registry inspector: four nodes, the three others linked, every name in place
  for (const tab of all) {
    await expect(tab.page.locator('#registry-grid .node-card')).toHaveCount(4)
    await expect(tab.page.locator('#registry-grid .link.up')).toHaveCount(3)
    await expect(tab.page.locator('#registry-grid .link.up', { hasText: 'WebRTC' })).toHaveCount(3)
    await expect(tab.page.locator('#registry-summary')).toHaveText('5 names · 14 pids · 4 nodes')
    await expect(tab.page.locator('#registry-grid .node-card[data-node="worker"] dt')).toHaveText(['counter', 'presence'])
  }

  // a screenshot once the "just joined" highlights have faded and round trips are measured
  await expect(a.page.locator('#registry-grid .link.up', { hasText: 'ms' })).toHaveCount(3)
  await expect(a.page.locator('#registry-grid .pid-chip.fresh')).toHaveCount(0)
  const shot = testInfo.outputPath('demo.png')
  await a.page.screenshot({ path: shot, fullPage: true })
  await testInfo.attach('demo', { path: shot, contentType: 'image/png' })

  // a tab leaves: presence, chat and the inspector follow in the others
  await c.page.close()
  for (const tab of [a, b]) {
    await expect(tab.page.locator('#presence-list li')).toHaveCount(3)
    await expect(tab.page.locator('#chat-log .notice').last()).toHaveText('tab-e94b left the chat')
    await expect(tab.page.locator('#registry-grid .node-card[data-node="tab-e94b"] .link.down')).toBeVisible()
    await expect(tab.page.locator('#registry-summary')).toHaveText('5 names · 10 pids · 4 nodes')
    await expect(tab.page.locator('#links')).toHaveText('2 links · all WebRTC')
  }

  for (const tab of all) expect(tab.errors, `console errors in ${tab.id}`).toEqual([])
})
