/**
 * Strict base64url (RFC 4648 §5) without padding. Strict because a link is untrusted: any
 * character outside the alphabet, an impossible length, or non-zero leftover bits is refused, so
 * each byte string has exactly one encoding.
 */
import { ExperimentError } from './errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as base64url with no `=` padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/** Decodes unpadded base64url; throws ExperimentError 'bad-base64' on anything malformed. */
export function decodeBase64Url(text: string): Uint8Array {
  if (text.length === 0)
    throw new ExperimentError('bad-base64', 'The link holds no experiment data after "#x="');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      const shown = JSON.stringify(String.fromCodePoint(text.codePointAt(i)!));
      throw new ExperimentError(
        'bad-base64',
        `The link's data has a character ${shown} at position ${i} that is not base64url (A-Z a-z 0-9 - _)`,
      );
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  // Checked after the characters, so a stray character is reported as such, not as a length.
  if (text.length % 4 === 1) {
    throw new ExperimentError(
      'bad-base64',
      `The link's data has an impossible length (${text.length} characters); it was probably cut short`,
    );
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new ExperimentError(
      'bad-base64',
      "The link's data does not end on a byte boundary (non-zero trailing bits)",
    );
  }
  return out;
}
