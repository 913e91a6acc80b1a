/** Lets Node run the TypeScript engine directly: tsx for .ts, plus the tfjs ESM resolve hook. */
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./tfjs-resolve.mjs', import.meta.url);
registerTsx();
