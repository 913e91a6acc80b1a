/**
 * zod compiles a fast path for object schemas with `new Function` unless told not to, and probes
 * `new Function('')` when an object schema is built — both refused (and reported) under the
 * app's Content-Security-Policy, which allows no eval. Import this module before any schema is
 * created (each schema file imports it right after zod).
 */
import { z } from 'zod';

z.config({ jitless: true });
