#!/usr/bin/env node
/** The `weightscope` command: the engine in Node, without a browser. */
import './register.mjs';

await import('../src/cli/main.ts');
