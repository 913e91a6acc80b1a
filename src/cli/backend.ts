/** Starts tfjs for the commands that need it (train-inr, barrier), quietly. */
import type { FlagSpec, ParsedArgs } from './args';

export const BACKEND_FLAG: Record<string, FlagSpec> = {
  backend: {
    kind: 'choice',
    choices: ['wasm', 'cpu'],
    help: 'tfjs backend (default wasm, ~2.5–4× faster than cpu here)',
  },
};

/**
 * Initialises tfjs on wasm or cpu. Production mode first: otherwise tfjs prints its "running in
 * Node.js" banner, and stdout must hold nothing but the command's result.
 */
export async function startTf(args: ParsedArgs): Promise<string> {
  const tf = await import('@tensorflow/tfjs-core');
  tf.enableProdMode();
  const { initNodeBackend } = await import('./tf-node');
  return initNodeBackend((args.string('backend') ?? 'wasm') as 'wasm' | 'cpu');
}
