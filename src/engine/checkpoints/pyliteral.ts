/**
 * The slice of Python literal syntax a `.npy` header uses, parsed as `ast.literal_eval` parses it
 * (NumPy reads the header with `safe_eval`, which is `literal_eval`): dicts (a repeated key keeps
 * its LAST value, as a Python dict does), tuples, lists, strings (adjacent ones concatenate),
 * integers (decimal, 0x/0o/0b, underscores, a sign), True/False/None, comments, and nothing after
 * the value but whitespace and comments. What Python would accept beyond this slice (floats,
 * complex numbers, exotic escapes) comes back as an `other` value or a refusal, which the NumPy
 * reader turns into a refusal: never a different reading.
 */

export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple' | 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Map<string, PyValue> }
  | { kind: 'other' };

/** Thrown with a short reason; the caller names the file. */
export class PyLiteralError extends Error {}

const MAX_DEPTH = 32;
const FLOAT = /^[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?[jJ]?/;

/** Parses `text` as one literal; `dropLongSuffix` removes Python 2's `2L` as NumPy's filter does. */
export function parsePyLiteral(text: string, dropLongSuffix = false): PyValue {
  let p = 0;
  const fail = (why: string): never => {
    throw new PyLiteralError(`${why} at character ${p}`);
  };
  const skip = (): void => {
    for (;;) {
      const c = text[p];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') p++;
      else if (c === '#') while (p < text.length && text[p] !== '\n' && text[p] !== '\r') p++;
      else return;
    }
  };
  const string = (): string => {
    const q = text[p]!;
    const triple = text.startsWith(q.repeat(3), p);
    const close = triple ? q.repeat(3) : q;
    p += close.length;
    let out = '';
    for (;;) {
      if (p >= text.length) fail('unterminated string');
      if (text.startsWith(close, p)) {
        p += close.length;
        return out;
      }
      const c = text[p]!;
      if (!triple && (c === '\n' || c === '\r')) fail('line break inside a string');
      if (c !== '\\') {
        out += c;
        p++;
        continue;
      }
      const e = text[p + 1];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        p += 2;
      } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(p + 2, p + 4))) {
        out += String.fromCharCode(Number.parseInt(text.slice(p + 2, p + 4), 16));
        p += 4;
      } else fail('an escape sequence Weightscope does not read');
    }
  };
  const number = (sign: bigint): PyValue => {
    const m =
      /^(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0(?:_?0)*)/.exec(
        text.slice(p, p + 4400),
      );
    if (!m) return fail('malformed number');
    const start = p;
    p += m[0].length;
    // A float, an exponent or a complex number is not an int literal; "02" is not Python at all.
    if (/^[0-9]/.test(text[p] ?? '')) fail('malformed number');
    if (/^[.eEjJ]/.test(text[p] ?? '')) {
      p = start + FLOAT.exec(text.slice(start, start + 4400))![0].length;
      return { kind: 'other' };
    }
    if (dropLongSuffix && (text[p] === 'L' || text[p] === 'l')) p++;
    const digits = m[0].replaceAll('_', '');
    return { kind: 'int', value: sign * BigInt(digits) };
  };
  const seq = (close: string, depth: number): { items: PyValue[]; comma: boolean } => {
    const items: PyValue[] = [];
    let comma = false;
    for (;;) {
      skip();
      if (text[p] === close) {
        p++;
        return { items, comma };
      }
      items.push(value(depth + 1));
      skip();
      if (text[p] === ',') {
        p++;
        comma = true;
      } else if (text[p] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    skip();
    const c = text[p];
    if (c === '{') {
      p++;
      const entries = new Map<string, PyValue>();
      for (;;) {
        skip();
        if (text[p] === '}') {
          p++;
          return { kind: 'dict', entries };
        }
        const k = value(depth + 1);
        skip();
        if (text[p] !== ':') fail("expected ':'");
        p++;
        const v = value(depth + 1);
        // Keys other than strings never match NumPy's three names; keep them distinct.
        const key = k.kind === 'str' ? `s:${k.value}` : `x:${entries.size}:${k.kind}`;
        entries.delete(key); // a repeated key keeps its last value but its first position
        entries.set(key, v);
        skip();
        if (text[p] === ',') p++;
        else if (text[p] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(') {
      p++;
      const { items, comma } = seq(')', depth);
      if (items.length === 1 && !comma) return items[0]!;
      return { kind: 'tuple', items };
    }
    if (c === '[') {
      p++;
      return { kind: 'list', items: seq(']', depth).items };
    }
    if (c === "'" || c === '"') {
      let s = string();
      for (skip(); text[p] === "'" || text[p] === '"'; skip()) s += string();
      return { kind: 'str', value: s };
    }
    if (c === '-' || c === '+') {
      p++;
      skip();
      if (!/[0-9]/.test(text[p] ?? '')) fail('a sign before something that is not a number');
      return number(c === '-' ? -1n : 1n);
    }
    if (c !== undefined && /[0-9]/.test(c)) return number(1n);
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(p, p + 64))?.[0];
    if (word === 'True' || word === 'False') {
      p += word.length;
      return { kind: 'bool', value: word === 'True' };
    }
    if (word === 'None') {
      p += 4;
      return { kind: 'none' };
    }
    return fail(word ? `the name ${word} is not a literal` : 'unexpected character');
  };
  for (; text[p] === ' ' || text[p] === '\t';) p++;
  const v = value(0);
  skip();
  if (p !== text.length) fail('text after the literal');
  return v;
}
