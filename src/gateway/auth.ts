import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from './route.js';

/**
 * The three Authorization forms the EAS clients send (spec/eas-gateway-and-clients.md):
 * raw `<token>`, `Bearer <token>`, and `EAS <base64 HMAC-SHA1 signature>`.
 * Tokens are compared as SHA-256 digests with timingSafeEqual (equal lengths, so
 * no length leak); nothing here keeps per-token state.
 */

export const AUTH_FORMS =
  'expected "Authorization: <token>", "Authorization: Bearer <token>" or "Authorization: EAS <signature>" (HMAC-SHA1 signed like the EAS SDKs)';

export type AuthVerdict =
  | { kind: 'ok' }
  /** Signature valid; the body must still hash to this Content-MD5 (leading zeros ignored). */
  | { kind: 'verify-body'; contentMd5: string }
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'wrong' };

const OK: AuthVerdict = { kind: 'ok' };
const MISSING: AuthVerdict = { kind: 'missing' };
const MALFORMED: AuthVerdict = { kind: 'malformed' };
const WRONG: AuthVerdict = { kind: 'wrong' };

/** Per-token material, cached by the caller per ServiceRoute object. */
export interface TokenSecret {
  token: string;
  digest: Buffer;
}

export function tokenSecret(token: string): TokenSecret {
  return { token, digest: sha256(token) };
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function tokenMatches(candidate: string, secret: TokenSecret): boolean {
  return timingSafeEqual(sha256(candidate), secret.digest);
}

export function checkAuthorization(headers: IncomingHttpHeaders, route: Route, secret: TokenSecret): AuthVerdict {
  const header = headers.authorization;
  if (header === undefined) return MISSING;
  const value = header.trim();
  if (value === '') return MALFORMED;
  const space = value.indexOf(' ');
  if (space === -1) return tokenMatches(value, secret) ? OK : WRONG;
  const scheme = value.slice(0, space).toLowerCase();
  const credential = value.slice(space + 1).trim();
  if (credential === '' || credential.includes(' ')) return MALFORMED;
  if (scheme === 'bearer') return tokenMatches(credential, secret) ? OK : WRONG;
  if (scheme === 'eas') return checkSignature(credential, headers, route, secret);
  return MALFORMED;
}

function checkSignature(
  signature: string,
  headers: IncomingHttpHeaders,
  route: Route,
  secret: TokenSecret,
): AuthVerdict {
  const given = Buffer.from(signature, 'base64');
  if (given.length !== 20) return WRONG;
  const md5 = header(headers, 'content-md5');
  const head = 'POST\n' + md5 + '\n' + header(headers, 'content-type') + '\n' + header(headers, 'date') + '\n';
  let matched = false;
  for (const resource of resources(route)) {
    const message = head + resource;
    // The Python SDK strips the message; Go and Java sign it as is. Try both.
    for (const m of message.trim() === message ? [message] : [message, message.trim()]) {
      const expected = createHmac('sha1', secret.token).update(m).digest();
      if (timingSafeEqual(expected, given)) matched = true;
    }
  }
  if (!matched) return WRONG;
  return md5 === '' ? OK : { kind: 'verify-body', contentMd5: md5 };
}

/** Python signs the prefix, Go adds the sub-path, Java adds `?query` too. */
export function resources(route: Route): string[] {
  const out = [route.prefix];
  if (route.rawSubPath !== '') out.push(route.prefix + route.rawSubPath);
  if (route.query !== '') out.push(route.prefix + route.rawSubPath + '?' + route.query);
  return out;
}

/** Content-MD5 as the SDKs send it: lowercase hex, Java without leading zeros. */
export function bodyMatchesMd5(body: Buffer, contentMd5: string): boolean {
  const actual = createHash('md5').update(body).digest('hex').replace(/^0+/, '');
  const claimed = contentMd5.trim().toLowerCase().replace(/^0+/, '');
  return timingSafeEqual(sha256(actual), sha256(claimed));
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}
