import { parentPort, workerData } from 'node:worker_threads'
import { readServersPreview } from './preview'

/**
 * The servers preview read off the main thread (`preview-worker.js` beside the CLI bundle): the
 * schemas it is checked by take ~150 ms to load, which the main thread spends serving the page
 * its assets meanwhile (bench B5). Posts the list, or null when there is none.
 */
const port = parentPort
if (!port) throw new Error('preview-worker must run in a worker thread')
const { dataDir } = workerData as { dataDir: string }
readServersPreview(dataDir).then(
  (list) => port.postMessage(list),
  () => port.postMessage(null),
)
