/**
 * Builds tests/fixtures/hostile-links.json: links a stranger could send, each with the reason code
 * and a message fragment the decoder must answer with. Deterministic (seeded bytes, fixed deflate
 * settings), so rerunning reproduces the committed file; tests/experiment-hostile.test.ts checks that.
 *
 *   npx tsx scripts/make-hostile-links.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'fflate';
import { encodeBase64Url } from '../src/engine/experiment/base64url';
import { createRng } from '../src/engine/rng';

/** One fixture: decodeExperimentHash(hash) must throw ExperimentError(reason) whose message contains `message`. */
export interface HostileLink {
  name: string;
  hash: string;
  reason: string;
  message: string;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const fromBytes = (b: Uint8Array): string => '#x=' + encodeBase64Url(b);
const fromText = (s: string): string => fromBytes(deflateSync(utf8(s), { level: 9, mem: 8 }));
const fromJson = (v: unknown): string => fromText(JSON.stringify(v));
/** `{version: 3}` with `patch` merged in: one bad field in an otherwise valid experiment. */
const v1 = (patch: Record<string, unknown>): string => fromJson({ version: 3, ...patch });

const SHA = 'ab'.repeat(32);
const fileModel = (name: string, sha256: string = SHA) => ({ files: [{ name, sha256 }] });

function randomBytes(seed: number, n: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** All hostile links, in a fixed order. */
export function buildHostileLinks(): HostileLink[] {
  const L: HostileLink[] = [];
  const add = (name: string, hash: string, reason: string, message: string) =>
    L.push({ name, hash, reason, message });
  const valid = fromJson({ version: 3 });

  // Not an experiment / encoding stage.
  add('other fragment', '#y=abc', 'not-experiment', 'must start with "#x="');
  add('upper-case key', '#X=' + valid.slice(3), 'not-experiment', 'must start with');
  add('empty payload', '#x=', 'bad-base64', 'no experiment data');
  add('only whitespace', '#x=   ', 'bad-base64', 'not base64url');
  add('leading whitespace', '#x= ' + valid.slice(3), 'bad-base64', 'at position 0');
  add('percent-encoded', '#x=%7B%22version%22', 'bad-base64', '"%"');
  add('padding', valid + (valid.length % 4 === 3 ? '' : '=') + '=', 'bad-base64', '"="');
  add('standard base64 alphabet', '#x=ab+/cd==', 'bad-base64', '"+"');
  add('unicode junk', '#x=ñé☃ßø', 'bad-base64', 'not base64url');
  add('emoji', '#x=😀😀😀😀', 'bad-base64', '"😀"');
  add('zero-width space', '#x=AAAA\u200bAAAA', 'bad-base64', 'at position 4');
  add('trailing query-like junk', valid + '&tab=cloud', 'bad-base64', '"&"');
  add('impossible length', '#x=AAAAA', 'bad-base64', 'impossible length');
  add('non-zero trailing bits', '#x=AB', 'bad-base64', 'trailing bits');
  add('too long (zeros)', '#x=' + 'A'.repeat(16 * 1024 + 1), 'too-long', 'the limit is 16384');
  add('too long (20k)', '#x=' + 'Zm9v'.repeat(5_000), 'too-long', 'too long');

  // Deflate stage.
  const def = fromJson({ version: 3, population: { size: 4 }, training: { steps: 200 } });
  add(
    'truncated deflate',
    def.slice(0, 3 + 4 * Math.floor((def.length - 3) / 8)),
    'bad-deflate',
    'corrupt or cut short',
  );
  add('three zero bytes', '#x=AAAA', 'bad-deflate', 'corrupt or cut short');
  add('reserved block type', fromBytes(Uint8Array.of(0x07, 0, 0, 0)), 'bad-deflate', 'invalid block type');
  add(
    'stored block LEN/NLEN mismatch',
    fromBytes(Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0x00, 0x41)),
    'bad-deflate',
    'corrupt or cut short',
  );
  add('random bytes (seed 1)', fromBytes(randomBytes(1, 96)), 'bad-deflate', 'corrupt or cut short');
  add('random bytes (seed 2)', fromBytes(randomBytes(2, 300)), 'bad-deflate', 'corrupt or cut short');
  add('random bytes (seed 3)', fromBytes(randomBytes(3, 12)), 'bad-deflate', 'corrupt or cut short');
  add(
    'zlib header instead of raw deflate',
    fromBytes(Uint8Array.of(0x78, 0x9c, ...deflateSync(utf8('{"version":1}')))),
    'bad-deflate',
    'corrupt or cut short',
  );

  // Inflated-size stage: bombs stay well under the encoded cap but expand past 256 KiB.
  add(
    'bomb: 8 MB string in JSON',
    fromText(`{"version":1,"pad":"${'a'.repeat(8 * 1024 * 1024)}"}`),
    'too-large',
    'deflate bomb',
  );
  add(
    'bomb: 4 MB of zero bytes',
    fromBytes(deflateSync(new Uint8Array(4 * 1024 * 1024), { level: 9, mem: 8 })),
    'too-large',
    'more than 262144 bytes',
  );
  add(
    'just over the cap',
    fromText(`{"version":1,"pad":"${' '.repeat(256 * 1024)}"}`),
    'too-large',
    'more than 262144 bytes',
  );

  // Text and JSON stage.
  add('empty text', fromText(''), 'bad-json', 'not valid JSON');
  add('not UTF-8', fromBytes(deflateSync(Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d))), 'bad-json', 'not UTF-8');
  add('plain words', fromText('hello there'), 'bad-json', 'not valid JSON');
  add('trailing comma', fromText('{"version":1,}'), 'bad-json', 'not valid JSON');
  add('single quotes', fromText("{'version':1}"), 'bad-json', 'not valid JSON');
  add('JS not JSON', fromText('({version:1})'), 'bad-json', 'not valid JSON');
  add('JSON array', fromText('[1,2,3]'), 'invalid', 'must be a JSON object (got a list of 3 items)');
  add('JSON number', fromText('42'), 'invalid', 'must be a JSON object (got 42)');
  add('JSON null', fromText('null'), 'invalid', 'must be a JSON object (got null)');
  add('JSON string', fromText('"version 1"'), 'invalid', 'must be a JSON object');
  add('JSON boolean', fromText('true'), 'invalid', 'must be a JSON object (got true)');

  // Shape caps (before the schema).
  add(
    'deep objects',
    fromText('{"version":1,"x":' + '{"a":'.repeat(40) + '1' + '}'.repeat(41)),
    'too-complex',
    'nested more than 16',
  );
  add('10k open brackets', fromText('['.repeat(10_000)), 'too-complex', 'nested more than 16');
  add('deep unclosed objects', fromText('{"a":'.repeat(5000)), 'too-complex', 'nested more than 16');
  add(
    'oversized unknown array',
    v1({ junk: new Array(100_000).fill(0) }),
    'too-complex',
    'junk has 100000 items',
  );
  add(
    '1000 models',
    v1({ files: Array.from({ length: 1000 }, () => ({ name: 'a.pt', sha256: SHA })) }),
    'too-complex',
    'files has 1000 items',
  );
  add(
    'object with 1000 keys',
    v1({ arch: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])) }),
    'too-complex',
    'arch has 1000 keys',
  );

  // Prototype pollution (raw text: JSON.stringify of an object literal would lose __proto__).
  add(
    '__proto__ at top level',
    fromText('{"version":1,"__proto__":{"polluted":true}}'),
    'pollution',
    'key named "__proto__" at __proto__',
  );
  add(
    'constructor at top level',
    fromText('{"version":1,"constructor":{"prototype":{"x":1}}}'),
    'pollution',
    '"constructor"',
  );
  add('prototype at top level', fromText('{"version":1,"prototype":{}}'), 'pollution', '"prototype"');
  add(
    '__proto__ nested in arch',
    fromText('{"version":1,"arch":{"__proto__":{"hidden":[8]}}}'),
    'pollution',
    'at arch.__proto__',
  );
  add(
    '__proto__ in a model ref',
    fromText('{"version":3,"files":[{"name":"a","sha256":"a","__proto__":{}}]}'),
    'pollution',
    'at files[0].__proto__',
  );
  add(
    'constructor deep in views',
    fromText('{"version":1,"views":{"landscape":{"constructor":1}}}'),
    'pollution',
    'at views.landscape.constructor',
  );
  add(
    'prototype under an unknown key',
    fromText('{"version":1,"extra":{"a":[{"prototype":null}]}}'),
    'pollution',
    'at extra.a[0].prototype',
  );
  add(
    'escaped __proto__ key',
    fromText('{"version":1,"\\u005f_proto__":{"x":1}}'),
    'pollution',
    '"__proto__"',
  );
  add(
    '__proto__ without a version',
    fromText('{"__proto__":{"version":1}}'),
    'pollution',
    'prototype pollution',
  );
  add('__proto__ in a legacy v0 link', fromText('{"v":0,"__proto__":{"n":64}}'), 'pollution', '"__proto__"');

  // Versions.
  add('version 999', v1({ version: 999 }), 'bad-version', 'made by a newer Weightscope');
  add('version 4', v1({ version: 4 }), 'bad-version', 'experiment version 4');
  add('version as string', v1({ version: '1' }), 'bad-version', 'version must be a whole number (got "1")');
  add('version 1.5', v1({ version: 1.5 }), 'bad-version', 'whole number (got 1.5)');
  add('version -1', v1({ version: -1 }), 'bad-version', 'whole number (got -1)');
  add('version null', v1({ version: null }), 'bad-version', 'whole number (got null)');
  add('version as huge number', fromText('{"version":1e309}'), 'bad-version', 'got Infinity');
  add('missing version', fromJson({}), 'bad-version', 'no version number');
  add(
    'missing version, other keys',
    fromJson({ population: { size: 4 } }),
    'bad-version',
    'no version number',
  );
  add(
    'duplicate version key, last wins',
    fromText('{"version":1,"version":999}'),
    'bad-version',
    'newer Weightscope',
  );
  add(
    'legacy key with unknown version',
    fromJson({ v: 3 }),
    'bad-version',
    'Unknown legacy experiment version v=3',
  );
  add('legacy v0 with depth 9', fromJson({ v: 0, depth: 9 }), 'invalid', 'depth must be at most 5 (got 9)');
  add(
    'legacy v0 with string lr',
    fromJson({ v: 0, lr: 'fast' }),
    'invalid',
    'lr must be a number (got "fast")',
  );

  // Numbers out of range / not numbers.
  add(
    'negative steps',
    v1({ training: { steps: -5 } }),
    'invalid',
    'training.steps must be at least 1 (got -5)',
  );
  add(
    'steps 1e20',
    v1({ training: { steps: 1e20 } }),
    'invalid',
    'training.steps must be at most 100000 (got 100000000000000000000)',
  );
  add(
    'fractional steps',
    v1({ training: { steps: 1.5 } }),
    'invalid',
    'training.steps must be a whole number (got 1.5)',
  );
  add(
    'NaN via string',
    v1({ training: { steps: 'NaN' } }),
    'invalid',
    'training.steps must be a number (got "NaN")',
  );
  add(
    'Infinity via string',
    v1({ training: { lr: 'Infinity' } }),
    'invalid',
    'training.lr must be a number (got "Infinity")',
  );
  add(
    '1e309 becomes Infinity',
    fromText('{"version":1,"training":{"lr":1e309}}'),
    'invalid',
    'training.lr must be a number (got Infinity)',
  );
  add(
    '-1e309 becomes -Infinity',
    fromText('{"version":1,"arch":{"w0":-1e309}}'),
    'invalid',
    'arch.w0 must be a number (got -Infinity)',
  );
  add('lr zero', v1({ training: { lr: 0 } }), 'invalid', 'training.lr must be at least 0.000001 (got 0)');
  add(
    'population 1000',
    v1({ population: { size: 1000 } }),
    'invalid',
    'population.size must be at most 64 (got 1000)',
  );
  add(
    'negative seed',
    v1({ population: { seed: -1 } }),
    'invalid',
    'population.seed must be at least 0 (got -1)',
  );
  add(
    'seed 2^31',
    v1({ population: { seed: 2 ** 31 } }),
    'invalid',
    'population.seed must be at most 2147483647',
  );
  add('image size 1024', v1({ data: { size: 1024 } }), 'invalid', 'data.size must be at most 128 (got 1024)');
  add(
    'eval every 0',
    v1({ training: { evalEvery: 0 } }),
    'invalid',
    'training.evalEvery must be at least 1 (got 0)',
  );
  add(
    'margin 2',
    v1({ views: { landscape: { margin: 2 } } }),
    'invalid',
    'views.landscape.margin must be at most 1 (got 2)',
  );
  add('path points 2', v1({ paths: { points: 2 } }), 'invalid', 'paths.points must be at least 3 (got 2)');
  add(
    'alignment reference by path',
    v1({ alignment: { reference: 'sample:../../etc/passwd' } }),
    'invalid',
    'alignment.reference must be a model id: "sample:../../etc/passwd" is not one of',
  );
  add(
    '65 files',
    v1({
      files: Array.from({ length: 65 }, (_, i) => ({
        name: 'a.pt',
        sha256: i.toString(16).padStart(64, '0'),
      })),
    }),
    'invalid',
    'files must have at most 64 items (got 65)',
  );

  // Wrong types and values.
  add('arch is a string', v1({ arch: 'big' }), 'invalid', 'arch must be an object (got "big")');
  add('hidden is a number', v1({ arch: { hidden: 32 } }), 'invalid', 'arch.hidden must be a list (got 32)');
  add(
    'hidden width 0',
    v1({ arch: { hidden: [0, 32] } }),
    'invalid',
    'arch.hidden[0] must be at least 8 (got 0)',
  );
  add(
    'hidden width 10000',
    v1({ arch: { hidden: [32, 10000] } }),
    'invalid',
    'arch.hidden[1] must be at most 256 (got 10000)',
  );
  add(
    'six hidden layers',
    v1({ arch: { hidden: [8, 8, 8, 8, 8, 8] } }),
    'invalid',
    'arch.hidden must have at most 5 items (got 6)',
  );
  add(
    'no hidden layers',
    v1({ arch: { hidden: [] } }),
    'invalid',
    'arch.hidden must have at least 1 item (got 0)',
  );
  add(
    'unknown activation',
    v1({ arch: { activation: 'swish' } }),
    'invalid',
    "arch.activation must be one of 'relu', 'sine', 'tanh', 'gelu' (got \"swish\")",
  );
  add('unknown backend', v1({ backend: 'cuda' }), 'invalid', 'backend must be one of');
  add(
    'cloud dims 4',
    v1({ views: { cloud: { dims: 4 } } }),
    'invalid',
    'views.cloud.dims must be one of 2, 3 (got 4)',
  );
  add(
    'aligned as string',
    v1({ views: { cloud: { aligned: 'yes' } } }),
    'invalid',
    'views.cloud.aligned must be a boolean (got "yes")',
  );
  add('unknown tab', v1({ views: { tab: 'settings' } }), 'invalid', 'views.tab must be one of');
  add(
    'two anchors',
    v1({ views: { landscape: { anchors: [0, 1] } } }),
    'invalid',
    'views.landscape.anchors must have at least 3 items (got 2)',
  );
  add(
    'anchor recipe nested too deep',
    v1({
      views: {
        landscape: {
          anchors: [
            'sample:a',
            'sample:b',
            `${'aligned('.repeat(8)}sample:a${' to sample:b, weight, 0)'.repeat(8)}`,
          ],
        },
      },
    }),
    'invalid',
    'views.landscape.anchors[2] must be a model id: model recipes may nest at most 6 deep',
  );
  add(
    'duplicate path kinds',
    v1({ paths: { kinds: ['lerp', 'lerp'] } }),
    'invalid',
    'paths.kinds must not list a path kind twice',
  );
  add(
    'unknown path kind',
    v1({ paths: { kinds: ['teleport'] } }),
    'invalid',
    "paths.kinds[0] must be one of 'lerp'",
  );
  add(
    'unknown init mode',
    v1({ population: { initMode: 'clone' } }),
    'invalid',
    'population.initMode must be one of',
  );
  add('files is a string', v1({ files: 'lots' }), 'invalid', 'files must be a list (got "lots")');
  add(
    'source kind http',
    v1({ data: { source: { kind: 'http', url: 'https://evil.example/x.png' } } }),
    'invalid',
    "data.source.kind must be one of 'sample', 'mnist', 'file' (got \"http\")",
  );
  add('source null', v1({ data: { source: null } }), 'invalid', 'data.source must be an object (got null)');
  add(
    'source without id',
    v1({ data: { source: { kind: 'sample' } } }),
    'invalid',
    'data.source.id is required',
  );
  add(
    'sample id path traversal',
    v1({ data: { source: { kind: 'sample', id: '../../etc/passwd' } } }),
    'invalid',
    'data.source.id must be a sample id',
  );
  add(
    'sample id upper case',
    v1({ data: { source: { kind: 'sample', id: 'Rings' } } }),
    'invalid',
    'must be a sample id',
  );
  add(
    'mnist index 10000',
    v1({ data: { source: { kind: 'mnist', index: 10000 } } }),
    'invalid',
    'data.source.index must be at most 9999 (got 10000)',
  );
  add(
    'model id of an unknown kind',
    v1({ paths: { a: 'mnist:3' } }),
    'invalid',
    'paths.a must be a model id: "mnist:3" is not one of',
  );
  add(
    'several problems',
    v1({ population: { size: 0 }, training: { steps: 0 }, backend: 'x' }),
    'invalid',
    'and 2 more problems',
  );

  // Names and hashes of dropped files. Markup in a name is REJECTED (a dropped file's name never
  // has it; the UI renders text only anyway).
  add(
    'script tag in file name',
    v1(fileModel('<script>alert(1)</script>.pt')),
    'invalid',
    'files[0].name must be a plain file name',
  );
  add(
    'img onerror in data file name',
    v1({ data: { source: { kind: 'file', name: '<img src=x onerror=alert(1)>.png', sha256: SHA } } }),
    'invalid',
    'data.source.name must be a plain file name (no markup',
  );
  add('path in file name', v1(fileModel('../../etc/passwd')), 'invalid', 'plain file name');
  add('backslash path in file name', v1(fileModel('C:\\Windows\\win.ini')), 'invalid', 'plain file name');
  add('bidi override in file name', v1(fileModel('model\u202egnp.pt')), 'invalid', 'bidi');
  add('NUL in file name', v1(fileModel('model\u0000.pt')), 'invalid', 'plain file name');
  add('newline in file name', v1(fileModel('model\n.pt')), 'invalid', 'plain file name');
  add(
    '201-character file name',
    v1(fileModel('m'.repeat(198) + '.pt')),
    'invalid',
    'files[0].name must be at most 200 characters long (got 201)',
  );
  add(
    'empty file name',
    v1(fileModel('')),
    'invalid',
    'files[0].name must be at least 1 character long (got 0)',
  );
  add(
    'short sha256',
    v1(fileModel('a.pt', 'ab'.repeat(31) + 'a')),
    'invalid',
    'files[0].sha256 must be a SHA-256 digest (64 hex digits)',
  );
  add('non-hex sha256', v1(fileModel('a.pt', 'g'.repeat(64))), 'invalid', 'SHA-256 digest');
  add(
    'sha256 as number',
    v1(fileModel('a.pt', 12345 as unknown as string)),
    'invalid',
    'files[0].sha256 must be a string (got 12345)',
  );
  add(
    'file source without sha256',
    v1({ data: { source: { kind: 'file', name: 'a.png' } } }),
    'invalid',
    'data.source.sha256 is required',
  );

  return L;
}

function main(): void {
  const links = buildHostileLinks();
  const out = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    'tests',
    'fixtures',
    'hostile-links.json',
  );
  writeFileSync(out, JSON.stringify(links, null, 1) + '\n');
  const longest = Math.max(...links.map((l) => l.hash.length));
  console.log(
    `wrote ${links.length} hostile links to ${path.relative(process.cwd(), out)} (longest hash ${longest} chars)`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
