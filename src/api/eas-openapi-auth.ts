/**
 * Who may call Pier's EAS OpenAPI (eas-openapi.ts): whoever signs the call with
 * Pier's AccessKey pair, checked by recomputing the ROA signature
 * (acs-signature.ts). The secret never travels; the signature covers the method,
 * the path, the query, the Date and every x-acs-* header (the nonce among them).
 * As Alibaba Cloud's gateway does, a Date more than 15 minutes from the server's
 * clock and a nonce seen within that window are refused, so a captured call
 * cannot be replayed. The failure codes are Alibaba Cloud's common error codes,
 * which the tea client puts in `ClientException.code`.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import { PierError } from '../errors.js';
import { parseAcsAuthorization, roaSignature, roaStringToSign, type SignedRequest } from './acs-signature.js';

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
}

export type AccessKeyFailure =
  | 'IncompleteSignature'
  | 'InvalidAccessKeyId.NotFound'
  | 'SignatureDoesNotMatch'
  | 'InvalidTimeStamp.Expired'
  | 'SignatureNonceUsed';

export type AccessKeyOutcome = { ok: true } | { ok: false; code: AccessKeyFailure; message: string };

export interface AccessKeyVerifierOptions {
  key: AccessKey;
  clock: Clock;
  /** How far the Date header may be from now, either way; default 15 minutes. */
  maxSkewMs?: number;
  /** Nonces remembered at most (oldest forgotten first); default 100,000. */
  maxNonces?: number;
}

export const DEFAULT_MAX_SKEW_MS = 15 * 60_000;

/** The AccessKey id when none is configured; the secret is then the admin token. */
export const DEFAULT_OPENAPI_ACCESS_KEY_ID = 'pier';

/**
 * `PIER_OPENAPI_ACCESS_KEY_ID` and `PIER_OPENAPI_ACCESS_KEY_SECRET`, both or
 * neither; undefined when neither is set (the default pair applies).
 */
export function openApiKeyFromEnv(env: NodeJS.ProcessEnv): AccessKey | undefined {
  const id = env.PIER_OPENAPI_ACCESS_KEY_ID;
  const secret = env.PIER_OPENAPI_ACCESS_KEY_SECRET;
  if (!id && !secret) return undefined;
  if (!id || !secret) {
    throw new PierError(
      'BAD_REQUEST',
      'set both PIER_OPENAPI_ACCESS_KEY_ID and PIER_OPENAPI_ACCESS_KEY_SECRET, or neither (then the id is "pier" and the secret the admin token)',
    );
  }
  return { accessKeyId: id, accessKeySecret: secret };
}

export function createAccessKeyVerifier(opts: AccessKeyVerifierOptions): (req: SignedRequest) => AccessKeyOutcome {
  const { key, clock } = opts;
  if (!key.accessKeyId || !key.accessKeySecret) throw new TypeError('the OpenAPI AccessKey id and secret must be set');
  const maxSkewMs = opts.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const maxNonces = opts.maxNonces ?? 100_000;
  const expectedId = digest(key.accessKeyId);
  // nonce → when it may be forgotten; a Map iterates in insertion order, so the front is the oldest.
  const nonces = new Map<string, number>();
  const fail = (code: AccessKeyFailure, message: string): AccessKeyOutcome => ({ ok: false, code, message });

  return (req) => {
    const auth = parseAcsAuthorization(first(req.headers.authorization));
    if (!auth) {
      return fail(
        'IncompleteSignature',
        'this EAS OpenAPI call is not signed: send "Authorization: acs <AccessKeyId>:<signature>" ' +
          "(the PAI SDK and the tea OpenAPI client do this when given Pier's AccessKey pair)",
      );
    }
    const method = first(req.headers['x-acs-signature-method']) ?? 'HMAC-SHA1';
    if (method.toUpperCase() !== 'HMAC-SHA1') {
      return fail(
        'IncompleteSignature',
        `x-acs-signature-method "${method}" is not supported: Pier verifies HMAC-SHA1`,
      );
    }
    if (!timingSafeEqual(digest(auth.accessKeyId), expectedId)) {
      return fail(
        'InvalidAccessKeyId.NotFound',
        `AccessKey id "${auth.accessKeyId}" is not Pier's: use the id set by PIER_OPENAPI_ACCESS_KEY_ID on "pier server" (default "pier")`,
      );
    }
    const stringToSign = roaStringToSign(req);
    if (!timingSafeEqual(digest(auth.signature), digest(roaSignature(stringToSign, key.accessKeySecret)))) {
      // As Alibaba Cloud does, the message carries the server's string to sign (it holds no secret).
      return fail(
        'SignatureDoesNotMatch',
        'Specified signature is not matched with our calculation: check the AccessKey secret ' +
          `(PIER_OPENAPI_ACCESS_KEY_SECRET, or the admin token by default). server string to sign is:${stringToSign}`,
      );
    }
    const now = clock.now();
    const date = Date.parse(first(req.headers.date) ?? '');
    if (!Number.isFinite(date) || Math.abs(now - date) > maxSkewMs) {
      return fail(
        'InvalidTimeStamp.Expired',
        `the Date header "${first(req.headers.date) ?? ''}" is missing or more than ${maxSkewMs / 60_000} minutes from the server's clock (${new Date(now).toUTCString()})`,
      );
    }
    const nonce = first(req.headers['x-acs-signature-nonce']);
    if (!nonce) return fail('IncompleteSignature', 'the x-acs-signature-nonce header is missing');
    for (const [seen, until] of nonces) {
      if (until > now && nonces.size < maxNonces) break;
      nonces.delete(seen);
    }
    if (nonces.has(nonce)) return fail('SignatureNonceUsed', 'Specified signature nonce was used already.');
    nonces.set(nonce, now + 2 * maxSkewMs);
    return { ok: true };
  };
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
