import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, service, startGateway, TOKEN } from '../support/gateway.js';
import { rawExchange, recordingBackend, statuses } from './support.js';

/**
 * Issue 12, defect 11: a backslash in the path was read as `/`, and a 404 for an
 * unknown name before authentication told anyone which services exist.
 */

describe('issue 12 #11a: a backslash is never a slash', () => {
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let h: Harness;
  beforeAll(async () => {
    backend = await recordingBackend();
    h = await startGateway([service('svc', [backend.endpoint()])]);
  });
  afterAll(async () => {
    await h.gw.close();
    await backend.close();
  });

  for (const path of [
    '/api/predict\\svc/x',
    '/api\\predict/svc/x',
    '/api/predict/svc\\x',
    '/api/predict/svc/a\\b',
    '/api/predict/svc/..\\..\\etc/passwd',
    '/api/predict/%5Csvc/x',
    '/api/predict/svc%5C/x',
    '/api/predict/%5csvc',
  ]) {
    it(`${path} is 400/404 and reaches no instance`, async () => {
      backend.seen.length = 0;
      const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${TOKEN}\r\nConnection: close\r\n\r\n`;
      const r = await rawExchange(h.port, head);
      expect([400, 404]).toContain(statuses(r.text)[0]);
      expect(backend.seen).toEqual([]);
    });
  }
});

describe('issue 12 #11b: unknown names look like known ones to a caller without a token', () => {
  let backend: Awaited<ReturnType<typeof recordingBackend>>;
  let h: Harness;
  beforeAll(async () => {
    backend = await recordingBackend();
    h = await startGateway([
      service('svc', [backend.endpoint()]),
      service('other', [backend.endpoint('o1')], { token: 'other-token-0123456789' }),
    ]);
  });
  afterAll(async () => {
    await h.gw.close();
    await backend.close();
  });

  it('no token: the same 401 (with WWW-Authenticate) for a known and an unknown service', async () => {
    const known = await call(h.port, '/api/predict/svc/x');
    const unknown = await call(h.port, '/api/predict/nosuch/x');
    for (const r of [known, unknown]) {
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="pier"');
    }
    expect(unknown.body).toBe(known.body);
    expect(unknown.body).not.toContain('nosuch');
  });

  it('a wrong token: the same 401; a malformed header: the same 400', async () => {
    const known = await call(h.port, '/api/predict/svc', { headers: { authorization: 'guess' } });
    const unknown = await call(h.port, '/api/predict/nosuch', { headers: { authorization: 'guess' } });
    expect([known.status, unknown.status]).toEqual([401, 401]);
    expect(unknown.body).toBe(known.body);
    const bad = await call(h.port, '/api/predict/nosuch', { headers: { authorization: 'Basic x' } });
    expect(bad.status).toBe(400);
  });

  it('a token valid for some service gets the 404 naming the unknown one', async () => {
    for (const token of [TOKEN, 'Bearer other-token-0123456789']) {
      const r = await call(h.port, '/api/predict/nosuch/x', { headers: { authorization: token } });
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'SERVICE_NOT_FOUND' });
      expect(r.body).toContain('nosuch');
    }
  });

  it('a WebSocket upgrade to an unknown name without a token is 401 too', async () => {
    const head =
      'GET /api/predict/nosuch/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n';
    const r = await rawExchange(h.port, head);
    expect(statuses(r.text)).toEqual([401]);
    expect(r.text.toLowerCase()).toContain('www-authenticate: bearer realm="pier"');
  });

  it('known services behave as before', async () => {
    expect((await call(h.port, '/api/predict/svc/x', { headers: { authorization: TOKEN } })).status).toBe(200);
    const cross = await call(h.port, '/api/predict/svc/x', { headers: { authorization: 'other-token-0123456789' } });
    expect(cross.status).toBe(401);
  });
});
