/** AWS Signature Version 4 for S3 GET requests (what OSS's S3-compatible API and MinIO accept). */

import { createHash, createHmac } from 'node:crypto';

export interface SignInput {
  url: URL;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** ms epoch. */
  now: number;
}

const hex = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
const encode = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Headers for an unsigned-payload GET of `url`. */
export function signGet(input: SignInput): Record<string, string> {
  const iso = new Date(input.now).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const date = iso.slice(0, 8);
  const payload = 'UNSIGNED-PAYLOAD';
  const headers: Record<string, string> = { host: input.url.host, 'x-amz-content-sha256': payload, 'x-amz-date': iso };
  const names = Object.keys(headers).sort();
  const query = [...input.url.searchParams.entries()]
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .sort()
    .join('&');
  const canonical = [
    'GET',
    input.url.pathname,
    query,
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    payload,
  ].join('\n');
  const scope = `${date}/${input.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', iso, scope, hex(canonical)].join('\n');
  let key = hmac(`AWS4${input.secretAccessKey}`, date);
  for (const part of [input.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

/** Path-style object URL: `<endpoint>/<bucket>/<key>` with each key segment encoded. */
export function objectUrl(endpoint: string, bucket: string, key: string): URL {
  const base = endpoint.replace(/\/+$/, '');
  return new URL(`${base}/${encode(bucket)}/${key.split('/').map(encode).join('/')}`);
}
