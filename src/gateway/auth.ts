import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from './route.js';

/**
 * The three Authorization forms the EAS clients send (github.com/pai-eas/eas-python-sdk,
 * eas-golang-sdk and eas-java-sdk; the OpenAI-style clients send Bearer):
 * raw `<token>`, `Bearer <token>`, and `EAS <base64 HMAC-SHA1 signature>`.
 * A request's token is compared in constant time without allocating
 * (`tokenMatches`); the unknown-service check compares SHA-256 digests with
 * timingSafeEqual. Nothing here keeps per-token state.
 */

export const AUTH_FORMS =
  'expected "Authorization: <token>", "Authorization: Bearer <token>" or "Authorization: EAS <signature>" (HMAC-SHA1 signed like the EAS SDKs)';

export type AuthVerdict =
  | { kind: 'ok' }
  /** Signature valid; the body must still hash to this Content-MD5 (leading zeros ignored). */
  | { kind: 'verify-body'; contentMd5: string }
  | { kind: 'missing' }
  | { kind: 'malformed' }
  /** `reason` when the gateway can say more without helping a guesser (a valid signature, rejected). */
  | { kind: 'wrong'; reason?: string };

const OK: AuthVerdict = { kind: 'ok' };
const MISSING: AuthVerdict = { kind: 'missing' };
const MALFORMED: AuthVerdict = { kind: 'malformed' };
const WRONG: AuthVerdict = { kind: 'wrong' };

/** Per-token material, cached by the caller per ServiceRoute object. */
export interface TokenSecret {
  token: string;
  digest: Buffer;
}

/** What a signed request is checked against besides its signature. */
export interface SignaturePolicy {
  /** Reject a Date header further than this from `now()`; 0 (the default) checks no Date. */
  maxDateSkewMs: number;
  now(): number;
}

/** The part of a request authentication looks at. */
export interface AuthRequest {
  method?: string | undefined;
  headers: IncomingHttpHeaders;
}

const NO_POLICY: SignaturePolicy = { maxDateSkewMs: 0, now: () => 0 };

export function tokenSecret(token: string): TokenSecret {
  return { token, digest: sha256(token) };
}

/** One-shot `crypto.hash` (Node >= 21.7): no Hash object per request on the token check. */
export function sha256(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * Constant-time string compare with no hash and no buffer per request: XOR over
 * every character of the candidate (the caller's own, known length) against the
 * token, wrapping around, plus the length difference, with no early exit; so the
 * time depends on neither the token's content nor its length (the loop of
 * github.com/vdemedes/secure-compare and Go's crypto/subtle.ConstantTimeCompare,
 * without the latter's length shortcut).
 */
export function tokenMatches(candidate: string, secret: TokenSecret): boolean {
  const token = secret.token;
  const n = token.length;
  if (n === 0) return false;
  let diff = candidate.length ^ n;
  for (let i = 0, j = 0; i < candidate.length; i++) {
    diff |= candidate.charCodeAt(i) ^ token.charCodeAt(j);
    j = j + 1 === n ? 0 : j + 1;
  }
  return diff === 0;
}

type Credential =
  | { kind: 'missing' | 'malformed' }
  | { kind: 'token'; token: string }
  | { kind: 'eas'; signature: string };

function parseAuthorization(header: string | undefined): Credential {
  if (header === undefined) return MISSING as Credential;
  const value = header.trim();
  if (value === '') return MALFORMED as Credential;
  const space = value.indexOf(' ');
  if (space === -1) return { kind: 'token', token: value };
  const scheme = value.slice(0, space).toLowerCase();
  const credential = value.slice(space + 1).trim();
  if (credential === '' || credential.includes(' ')) return MALFORMED as Credential;
  if (scheme === 'bearer') return { kind: 'token', token: credential };
  if (scheme === 'eas') return { kind: 'eas', signature: credential };
  return MALFORMED as Credential;
}

export function checkAuthorization(
  req: AuthRequest,
  route: Route,
  secret: TokenSecret,
  policy: SignaturePolicy = NO_POLICY,
): AuthVerdict {
  const cred = parseAuthorization(req.headers.authorization);
  if (cred.kind === 'missing') return MISSING;
  if (cred.kind === 'malformed') return MALFORMED;
  if (cred.kind === 'token') return tokenMatches(cred.token, secret) ? OK : WRONG;
  if (cred.kind !== 'eas') return MALFORMED;
  return checkSignature(cred.signature, req, route, secret, policy);
}

/**
 * The first verdict that is not "wrong" over several accepted secrets (a group
 * call takes the group token, and a call pinned to a member also that member's).
 */
export function checkAuthorizationAny(
  req: AuthRequest,
  route: Route,
  secrets: readonly TokenSecret[],
  policy: SignaturePolicy = NO_POLICY,
): AuthVerdict {
  let verdict: AuthVerdict = WRONG;
  for (const secret of secrets) {
    verdict = checkAuthorization(req, route, secret, policy);
    if (verdict.kind !== 'wrong') return verdict;
  }
  return verdict;
}

/**
 * For a request naming no known service: 'ok' only when it carries the raw or
 * Bearer token of some service (every digest compared, no early exit), so a
 * caller without one cannot tell unknown names from known ones.
 */
export function checkAnyToken(
  headers: IncomingHttpHeaders,
  secrets: Iterable<TokenSecret>,
): 'ok' | 'missing' | 'malformed' | 'wrong' {
  const cred = parseAuthorization(headers.authorization);
  if (cred.kind === 'missing' || cred.kind === 'malformed') return cred.kind;
  if (cred.kind !== 'token') return 'wrong';
  const digest = sha256(cred.token);
  let found = false;
  for (const s of secrets) if (timingSafeEqual(digest, s.digest)) found = true;
  return found ? 'ok' : 'wrong';
}

function checkSignature(
  signature: string,
  req: AuthRequest,
  route: Route,
  secret: TokenSecret,
  policy: SignaturePolicy,
): AuthVerdict {
  const { headers } = req;
  const given = Buffer.from(signature, 'base64');
  if (given.length !== 20) return WRONG;
  const md5 = header(headers, 'content-md5');
  const date = header(headers, 'date');
  // Every SDK signs "POST"; the verb is the request's own, so a signature made for
  // a POST does not open a GET (or any other method) of the same resource.
  const verb = (req.method ?? 'GET').toUpperCase();
  const head = verb + '\n' + md5 + '\n' + header(headers, 'content-type') + '\n' + date + '\n';
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
  if (policy.maxDateSkewMs > 0) {
    const at = Date.parse(date);
    const skew = Number.isNaN(at) ? Number.POSITIVE_INFINITY : Math.abs(policy.now() - at);
    if (skew > policy.maxDateSkewMs) {
      const limit = policy.maxDateSkewMs / 1000;
      return {
        kind: 'wrong',
        reason: Number.isNaN(at)
          ? `the Date header is not an HTTP date; signed requests must carry one within ${limit} s of the gateway's clock (--eas-max-date-skew)`
          : `the Date header is ${Math.round(skew / 1000)} s from the gateway's clock, more than the ${limit} s allowed (--eas-max-date-skew)`,
      };
    }
  }
  if (md5 !== '') return { kind: 'verify-body', contentMd5: md5 };
  // Without a signed Content-MD5 the signature says nothing about the body: it
  // would carry any body. The SDKs always sign one, so a body without it is refused.
  if (hasBody(headers)) {
    return { kind: 'wrong', reason: 'a signed request with a body must send and sign its Content-MD5' };
  }
  return OK;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const len = headers['content-length'];
  if (len !== undefined) return len !== '0';
  return headers['transfer-encoding'] !== undefined;
}

/**
 * Python signs the prefix, Go adds the sub-path, Java adds `?query` too. The
 * prefix alone is accepted only for a call to the prefix itself (what the Python
 * SDK calls), so a signature cannot be moved to another path of the service.
 */
export function resources(route: Route): string[] {
  const out: string[] = [];
  if (route.rawSubPath === '' || route.rawSubPath === '/') out.push(route.prefix);
  if (route.rawSubPath !== '') out.push(route.prefix + route.rawSubPath);
  if (route.query !== '') out.push(route.prefix + route.rawSubPath + '?' + route.query);
  return out;
}

/** Content-MD5 as the SDKs send it: lowercase hex, Java without leading zeros. */
export function bodyMatchesMd5(body: Buffer, contentMd5: string): boolean {
  return md5Matches(createHash('md5').update(body).digest('hex'), contentMd5);
}

/** `actualHex` (a whole body's MD5) against the Content-MD5 sent, leading zeros ignored. */
export function md5Matches(actualHex: string, contentMd5: string): boolean {
  const actual = actualHex.replace(/^0+/, '');
  const claimed = contentMd5.trim().toLowerCase().replace(/^0+/, '');
  return timingSafeEqual(sha256(actual), sha256(claimed));
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}
