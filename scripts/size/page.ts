/**
 * The page `npm run size` measures (scripts/size.mjs): what an app bundles that joins a
 * cluster, registers a process and calls it, importing only `distribunator/browser`, with
 * no bundler option of any kind.
 */
import { connect } from 'distribunator/browser'

async function main(): Promise<void> {
  const node = await connect({ hub: location.origin, cluster: 'size' })
  node.register('echo', node.spawn({ handleCall: (message) => message }))
  document.body.textContent = String(await node.call('echo', 'hello'))
}

void main()
