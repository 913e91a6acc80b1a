#!/usr/bin/env node
/**
 * The `weightscope` command: the engine in Node, without a browser. Runs the bundle in dist-cli/
 * when it is fresh (bin/cli-bundle.mjs: about ten times less start-up), else the TypeScript
 * sources through tsx. WEIGHTSCOPE_CLI_SOURCE=1 always runs the sources.
 */
import { pathToFileURL } from 'node:url';
import { freshBundle } from './cli-bundle.mjs';

const bundle = process.env.WEIGHTSCOPE_CLI_SOURCE ? null : freshBundle();
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  await import('./register.mjs');
  await import('../src/cli/main.ts');
}
