/**
 * The Alibaba Cloud ROA request signature (signature version 1.0, HMAC-SHA1),
 * as the tea OpenAPI client signs a ROA call when its config says
 * `signature_algorithm="v2"` — which the PAI SDK always does
 * (pai/api/client_factory.py in github.com/aliyun/pai-python-sdk). The string to
 * sign is `alibabacloud_tea_openapi.utils.Utils.get_string_to_sign`
 * (github.com/aliyun/alibabacloud-tea-openapi, python):
 *
 *   METHOD \n Accept \n Content-MD5 \n Content-Type \n Date \n
 *   <every x-acs-* header, sorted, as "name:value\n">
 *   <path as sent>[?<query keys sorted, "k=v" or "k" when v is empty, joined by &>]
 *
 * and the header is `Authorization: acs <AccessKeyId>:<base64(HMAC-SHA1(secret, string))>`.
 * Pure functions: the verifier (eas-openapi-auth.ts) decides what to do with them.
 */

import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The path exactly as it came on the request line (still percent-encoded), without the query. */
  rawPath: string;
  /** The decoded query. */
  query: URLSearchParams;
}

const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
};

export function roaStringToSign(req: SignedRequest): string {
  const head = [req.method.toUpperCase(), 'accept', 'content-md5', 'content-type', 'date']
    .map((name, i) => (i === 0 ? name : header(req.headers, name)))
    .join('\n');
  // Node lowercases header names, as the tea client writes them.
  const acs = Object.keys(req.headers)
    .filter((name) => name.startsWith('x-acs-'))
    .sort()
    .map((name) => `${name}:${header(req.headers, name)}\n`)
    .join('');
  return `${head}\n${acs}${canonicalResource(req.rawPath, req.query)}`;
}

function canonicalResource(path: string, query: URLSearchParams): string {
  const keys = [...new Set(query.keys())].sort();
  if (keys.length === 0) return path;
  // The client signs one value per key (a dict); a repeated key keeps its last.
  const parts = keys.map((k) => {
    const all = query.getAll(k);
    const v = all[all.length - 1] ?? '';
    return v === '' ? k : `${k}=${v}`;
  });
  return `${path}?${parts.join('&')}`;
}

export function roaSignature(stringToSign: string, secret: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** `acs <id>:<signature>`, or undefined when the header is not of that form. */
export function parseAcsAuthorization(
  value: string | undefined,
): { accessKeyId: string; signature: string } | undefined {
  const m = /^acs\s+([^\s:]+):(\S+)$/i.exec(value?.trim() ?? '');
  return m ? { accessKeyId: m[1]!, signature: m[2]! } : undefined;
}
