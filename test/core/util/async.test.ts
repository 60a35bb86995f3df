import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { soon } from '../../../src/core/util/async.js'
import { run } from '../../support/run.js'

const asyncModule = fileURLToPath(new URL('../../../src/core/util/async.ts', import.meta.url))

describe('soon', () => {
  it('runs callbacks after the current code, first in first out, in the same queue as queueMicrotask', async () => {
    const order: string[] = []
    soon(() => order.push('soon 1'))
    queueMicrotask(() => order.push('queueMicrotask'))
    soon(() => {
      order.push('soon 2')
      soon(() => order.push('soon from soon'))
    })
    void Promise.resolve().then(() => order.push('promise'))
    order.push('sync')
    expect(order).toEqual(['sync'])
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(order).toEqual(['sync', 'soon 1', 'queueMicrotask', 'soon 2', 'promise', 'soon from soon'])
  })

  it('reports what a callback throws as an uncaught exception, not as a rejection, and runs the callbacks after it', async () => {
    const script = `
      import { soon } from ${JSON.stringify(asyncModule)}
      process.on('uncaughtException', (error) => console.log('uncaught: ' + error.message))
      process.on('unhandledRejection', (reason) => console.log('unhandled rejection: ' + reason))
      soon(() => { throw new Error('boom') })
      soon(() => console.log('next ran'))
    `
    const result = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), timeoutMs: 20_000 })
    expect(result.stdout.trim().split('\n')).toEqual(['next ran', 'uncaught: boom'])
    expect(result.code).toBe(0)
  })
})
