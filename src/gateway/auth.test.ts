import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  call,
  echoHandler,
  type Harness,
  service,
  startBackend,
  startGateway,
  TOKEN,
} from './test-helpers.js';

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
    const url = `${h.url}/api/predict/echo/v1/predict`;
    const ok = await python(url, TOKEN, '/api/predict/echo', '{"x": [1,2,3]}');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ url: '/v1/predict', body: '{"x": [1,2,3]}' });
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
