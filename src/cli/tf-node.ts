import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

export type NodeBackend = 'wasm' | 'cpu';

/**
 * Picks tfjs's backend in Node (tfjs-node cannot install here: its install downloads a binary).
 * wasm is ~2.5–4× faster than cpu for INR training, so it is the default.
 */
export async function initNodeBackend(name: NodeBackend = 'wasm'): Promise<string> {
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(path.join(dir, 'dist') + path.sep);
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend ${name} failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
