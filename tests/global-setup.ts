/**
 * Bundles the `weightscope` command once before the unit tests (scripts/build-cli.mjs; skipped
 * while the bundle is fresh), so that the CLI runs in the suite start in about 0.2 CPU-s each
 * instead of 2 (tsx loading ~1,000 modules). tests/cli-bundle.test.ts checks that the bundle and
 * the sources answer alike.
 */
import { freshBundle } from '../bin/cli-bundle.mjs';
import { buildCli } from '../scripts/build-cli.mjs';

export default async function setup(): Promise<void> {
  if (!freshBundle()) await buildCli();
}
