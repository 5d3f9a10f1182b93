import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnyToken, checkAuthorization, tokenMatches, tokenSecret } from './auth.js';
import { parseRoute } from './route.js';
import {
  type Backend,
  call,
  echoHandler,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from '../../test/support/gateway.js';

const run = promisify(execFile);

/** Signs and sends exactly as eas-python-sdk does (resource = /api/predict/<service>, message stripped). */
const PYTHON_CLIENT = `
import sys, hmac, hashlib, base64, urllib.request, urllib.error
url, token, resource, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].encode()
md5 = hashlib.md5(body).hexdigest()
ctype = 'application/octet-stream'
date = 'Mon, 01 Jan 2024 08:00:00 GMT'
auth = ('POST' + '\\n' + md5 + '\\n' + ctype + '\\n' + date + '\\n' + resource).strip()
sig = base64.b64encode(hmac.new(token.encode(), auth.encode(), hashlib.sha1).digest()).decode()
req = urllib.request.Request(url, data=body, method='POST', headers={
    'Content-MD5': md5, 'Content-Type': ctype, 'Date': date, 'Authorization': 'EAS ' + sig})
try:
    r = urllib.request.urlopen(req)
    print(r.status); print(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
`;

async function python(url: string, token: string, resource: string, body: string) {
  const { stdout } = await run('python3', ['-c', PYTHON_CLIENT, url, token, resource, body]);
  const [status, ...rest] = stdout.split('\n');
  return { status: Number(status), body: rest.join('\n') };
}

function sign(token: string, md5: string, ctype: string, date: string, resource: string): string {
  const message = `POST\n${md5}\n${ctype}\n${date}\n${resource}`;
  return createHmac('sha1', token).update(message).digest('base64');
}

describe('gateway authentication', () => {
  let backend: Backend;
  let h: Harness;
  beforeAll(async () => {
    backend = await startBackend(echoHandler);
    h = await startGateway([
      service('echo', [backend.endpoint('e1')]),
      service('webui', [backend.endpoint('w1')], { enableWebservice: true }),
    ]);
  });
  afterAll(async () => {
    await h.gw.close();
    await backend.close();
  });

  it('accepts the raw token and Bearer', async () => {
    expect((await call(h.port, '/api/predict/echo', { headers: { authorization: TOKEN } })).status).toBe(200);
    expect((await call(h.port, '/api/predict/echo', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    expect((await call(h.port, '/api/predict/echo', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(
      200,
    );
  });

  it('answers 401 with WWW-Authenticate when missing, 401 when wrong, 400 naming the forms when malformed', async () => {
    const missing = await call(h.port, '/api/predict/echo');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="pier"');
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'UNAUTHORIZED' });
    for (const wrong of ['nope', `Bearer ${TOKEN}x`, `${TOKEN.slice(1)}`, 'EAS AAAAAAAAAAAAAAAAAAAAAAAAAAA=']) {
      const r = await call(h.port, '/api/predict/echo', { headers: { authorization: wrong } });
      expect(r.status, wrong).toBe(401);
      expect(r.body).not.toContain(TOKEN);
    }
    for (const bad of ['Basic abc', 'Bearer a b', '   ']) {
      const r = await call(h.port, '/api/predict/echo', { headers: { authorization: bad } });
      expect(r.status, bad).toBe(400);
      expect(JSON.parse(r.body).message).toMatch(/<token>.*Bearer <token>.*EAS <signature>/);
    }
  });

  it('accepts a request signed by the Python SDK recipe and rejects a wrong token or a tampered body', async () => {
    // The Python SDK posts to /api/predict/<service> and signs exactly that.
    const url = `${h.url}/api/predict/echo`;
    const ok = await python(url, TOKEN, '/api/predict/echo', '{"x": [1,2,3]}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ url: '/', body: '{"x": [1,2,3]}' });
    // Issue 12 #6: the prefix-only resource does not open the service's other paths.
    expect((await python(`${url}/v1/predict`, TOKEN, '/api/predict/echo', 'x')).status).toBe(401);
    expect((await python(url, 'other-token', '/api/predict/echo', 'x')).status).toBe(401);

    const md5 = createHash('md5').update('real body').digest('hex');
    const date = 'Mon, 01 Jan 2024 16:00:00 GMT';
    const auth = `EAS ${sign(TOKEN, md5, 'application/json', date, '/api/predict/echo')}`;
    const headers = { authorization: auth, 'content-md5': md5, 'content-type': 'application/json', date };
    expect((await call(h.port, '/api/predict/echo', { method: 'POST', headers, body: 'real body' })).status).toBe(200);
    const tampered = await call(h.port, '/api/predict/echo', { method: 'POST', headers, body: 'fake body' });
    expect(tampered.status).toBe(401);
    // The same signature again (Go retries repeat Date and signature) is not a replay.
    expect((await call(h.port, '/api/predict/echo', { method: 'POST', headers, body: 'real body' })).status).toBe(200);
  });

  it('accepts the Go resource (with sub-path) and Java resource (with query, short Content-MD5)', async () => {
    const date = 'Tue, 02 Jan 2024 10:00:00 GMT';
    const goBody = 'go body';
    const goMd5 = createHash('md5').update(goBody).digest('hex');
    const goSig = sign(TOKEN, goMd5, 'application/octet-stream', date, '/api/predict/echo/sub/path');
    const go = await call(h.port, '/api/predict/echo/sub/path', {
      method: 'POST',
      body: goBody,
      headers: {
        authorization: `EAS ${goSig}`,
        'content-md5': goMd5,
        'content-type': 'application/octet-stream',
        date,
      },
    });
    expect(go.status).toBe(200);
    expect(JSON.parse(go.body).url).toBe('/sub/path');

    let javaBody = '';
    let full = '';
    for (let i = 0; !full.startsWith('0'); i++) {
      javaBody = `java body ${i}`;
      full = createHash('md5').update(javaBody).digest('hex');
    }
    const short = full.replace(/^0+/, '');
    const resource = '/api/predict/echo/m?a=1&b=2';
    const javaSig = sign(TOKEN, short, 'text/plain', date, resource);
    const java = await call(h.port, '/api/predict/echo/m?a=1&b=2', {
      method: 'POST',
      body: javaBody,
      headers: { authorization: `EAS ${javaSig}`, 'content-md5': short, 'content-type': 'text/plain', date },
    });
    expect(java.status).toBe(200);
    expect(JSON.parse(java.body)).toMatchObject({ url: '/m?a=1&b=2', body: javaBody });

    const wrongResource = sign(TOKEN, short, 'text/plain', date, '/api/predict/other');
    const denied = await call(h.port, '/api/predict/echo/m?a=1&b=2', {
      method: 'POST',
      body: javaBody,
      headers: { authorization: `EAS ${wrongResource}`, 'content-md5': short, 'content-type': 'text/plain', date },
    });
    expect(denied.status).toBe(401);
  });

  it('web-app mode: token link sets an HttpOnly cookie and redirects; cookie then authenticates', async () => {
    expect((await call(h.port, '/web/webui/')).status).toBe(401);
    expect((await call(h.port, '/web/webui/?token=wrong')).status).toBe(401);
    expect((await call(h.port, '/web/echo/?token=' + encodeURIComponent(TOKEN))).status).toBe(404);
    const open = await call(h.port, `/web/webui/page?lang=en&token=${encodeURIComponent(TOKEN)}`);
    expect(open.status).toBe(302);
    expect(open.headers.location).toBe('/web/webui/page?lang=en');
    const cookie = String(open.headers['set-cookie']);
    expect(cookie).toMatch(/^pier_webui=[^;]+; Path=\/web\/webui\/; HttpOnly; SameSite=Lax$/);
    expect(cookie).not.toContain(TOKEN);
    const pair = cookie.split(';')[0]!;
    const page = await call(h.port, '/web/webui/assets/app.js?v=1', { headers: { cookie: `a=b; ${pair}` } });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body).url).toBe('/assets/app.js?v=1');
    expect((await call(h.port, '/web/webui/x', { headers: { cookie: 'pier_webui=forged' } })).status).toBe(401);
    expect((await call(h.port, '/web/webui/x', { headers: { authorization: TOKEN } })).status).toBe(200);
    expect((await call(h.port, '/web/webui')).status).toBe(302);
  });
});

describe('checkAuthorization: EAS signatures are bound to method, path, body and (opt-in) Date (issue 12 #6)', () => {
  const secret = tokenSecret(TOKEN);
  const date = 'Wed, 01 Jan 2020 00:00:00 GMT';
  const md5 = createHash('md5').update('body').digest('hex');
  const signed = (resource: string, opts: { verb?: string; md5?: string } = {}) => {
    const m = `${opts.verb ?? 'POST'}\n${opts.md5 ?? md5}\napplication/json\n${date}\n${resource}`;
    return `EAS ${createHmac('sha1', TOKEN).update(m).digest('base64')}`;
  };
  const req = (method: string, authorization: string, extra: Record<string, string> = {}) => ({
    method,
    headers: { authorization, 'content-md5': md5, 'content-type': 'application/json', date, ...extra },
  });
  const at = (url: string) => parseRoute(url)!;

  it('keeps the body check when Content-MD5 is signed', () => {
    expect(checkAuthorization(req('POST', signed('/api/predict/echo')), at('/api/predict/echo'), secret)).toEqual({
      kind: 'verify-body',
      contentMd5: md5,
    });
  });

  it('rejects a POST signature on another method, accepts one signed with that method', () => {
    const post = signed('/api/predict/echo/m');
    expect(checkAuthorization(req('GET', post), at('/api/predict/echo/m'), secret).kind).toBe('wrong');
    expect(checkAuthorization(req('PUT', post), at('/api/predict/echo/m'), secret).kind).toBe('wrong');
    const get = signed('/api/predict/echo/m', { verb: 'GET' });
    expect(checkAuthorization(req('GET', get), at('/api/predict/echo/m'), secret).kind).toBe('verify-body');
  });

  it('binds the resource to the path requested: the prefix form only for the prefix itself', () => {
    const python = signed('/api/predict/echo');
    expect(checkAuthorization(req('POST', python), at('/api/predict/echo'), secret).kind).toBe('verify-body');
    expect(checkAuthorization(req('POST', python), at('/api/predict/echo/'), secret).kind).toBe('verify-body');
    expect(checkAuthorization(req('POST', python), at('/api/predict/echo?q=1'), secret).kind).toBe('verify-body');
    expect(checkAuthorization(req('POST', python), at('/api/predict/echo/admin'), secret).kind).toBe('wrong');
    const go = signed('/api/predict/echo/a');
    expect(checkAuthorization(req('POST', go), at('/api/predict/echo/a'), secret).kind).toBe('verify-body');
    expect(checkAuthorization(req('POST', go), at('/api/predict/echo/b'), secret).kind).toBe('wrong');
    expect(checkAuthorization(req('POST', go), at('/api/predict/other/a'), secret).kind).toBe('wrong');
  });

  it('refuses a body whose signature carries no Content-MD5', () => {
    const noMd5 = signed('/api/predict/echo', { md5: '' });
    const bare = { method: 'POST', headers: { authorization: noMd5, 'content-type': 'application/json', date } };
    expect(checkAuthorization(bare, at('/api/predict/echo'), secret).kind).toBe('ok');
    const withBody = { ...bare, headers: { ...bare.headers, 'content-length': '5' } };
    const v = checkAuthorization(withBody, at('/api/predict/echo'), secret);
    expect(v).toMatchObject({ kind: 'wrong', reason: expect.stringContaining('Content-MD5') });
    const chunked = { ...bare, headers: { ...bare.headers, 'transfer-encoding': 'chunked' } };
    expect(checkAuthorization(chunked, at('/api/predict/echo'), secret).kind).toBe('wrong');
  });

  it('checks the Date only when a maximum skew is set, naming it', () => {
    const r = req('POST', signed('/api/predict/echo'));
    const route = at('/api/predict/echo');
    const then = Date.parse(date);
    expect(checkAuthorization(r, route, secret).kind).toBe('verify-body');
    const within = { maxDateSkewMs: 900_000, now: () => then + 899_000 };
    expect(checkAuthorization(r, route, secret, within).kind).toBe('verify-body');
    const past = { maxDateSkewMs: 900_000, now: () => then - 901_000 };
    expect(checkAuthorization(r, route, secret, past)).toMatchObject({
      kind: 'wrong',
      reason: expect.stringMatching(/901 s .*900 s allowed \(--eas-max-date-skew\)/),
    });
    const garbled = req('POST', signed('/api/predict/echo'), { date: 'yesterday' });
    // The signature is over the Date sent, so re-sign for this one.
    const m = `POST\n${md5}\napplication/json\nyesterday\n/api/predict/echo`;
    garbled.headers.authorization = `EAS ${createHmac('sha1', TOKEN).update(m).digest('base64')}`;
    expect(checkAuthorization(garbled, route, secret, within)).toMatchObject({
      kind: 'wrong',
      reason: expect.stringContaining('not an HTTP date'),
    });
  });

  it('a wrong signature never says why, whatever the skew', () => {
    const bad = req('POST', 'EAS AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const v = checkAuthorization(bad, at('/api/predict/echo'), secret, { maxDateSkewMs: 1, now: () => 0 });
    expect(v).toEqual({ kind: 'wrong' });
  });
});

describe('checkAnyToken (issue 12 #11b)', () => {
  const secrets = [tokenSecret('a-token'), tokenSecret(TOKEN)];
  it('is ok only for the raw or Bearer token of some service', () => {
    expect(checkAnyToken({}, secrets)).toBe('missing');
    expect(checkAnyToken({ authorization: 'Basic x' }, secrets)).toBe('malformed');
    expect(checkAnyToken({ authorization: 'nope' }, secrets)).toBe('wrong');
    expect(checkAnyToken({ authorization: 'EAS AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, secrets)).toBe('wrong');
    expect(checkAnyToken({ authorization: TOKEN }, secrets)).toBe('ok');
    expect(checkAnyToken({ authorization: 'Bearer a-token' }, secrets)).toBe('ok');
  });
});

describe('tokenMatches', () => {
  it('matches the token only: not a prefix, an extension, a repetition, another case or nothing', () => {
    const secret = tokenSecret('s3cret-token');
    expect(tokenMatches('s3cret-token', secret)).toBe(true);
    for (const wrong of [
      's3cret',
      's3cret-token-',
      's3cret-tokens3cret-token',
      'S3cret-token',
      's3cret-tokeN',
      '',
      'x',
    ]) {
      expect(tokenMatches(wrong, secret)).toBe(false);
    }
    expect(tokenMatches('', tokenSecret(''))).toBe(false);
  });
});
