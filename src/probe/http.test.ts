import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpGetAction } from '../spec/index.js';
import { MAX_BODY_BYTES, probeHttp } from './http.js';
import type { ProbeTarget } from './types.js';

// A throwaway self-signed certificate (CN=pier-probe-test): HTTPS probes do not verify it.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc9qI1BimfwwMLhdQ
4747opYXGPYO58nNnZocEnrUyRyhRANCAASXazNkZKbAtq+wFRZzuJwiSzstce7Y
nF5wqFGk1+/QIBOx0MPY3tyxyH2ShB1rf2KtLgUu3VQ6NOueTrJYv39B
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUbPQIdzo1vy/BRuoICn6EN1eR8tMwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPcGllci1wcm9iZS10ZXN0MCAXDTI2MTEyMTIzNDEzOFoYDzIx
MjYxMDI4MjM0MTM4WjAaMRgwFgYDVQQDDA9waWVyLXByb2JlLXRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAASXazNkZKbAtq+wFRZzuJwiSzstce7YnF5wqFGk
1+/QIBOx0MPY3tyxyH2ShB1rf2KtLgUu3VQ6NOueTrJYv39Bo1MwUTAdBgNVHQ4E
FgQUKdiTCfQJQaFvve31sE+b/hUJF7EwHwYDVR0jBBgwFoAUKdiTCfQJQaFvve31
sE+b/hUJF7EwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAoUW5
JJDLwT1uQVihtcVryQ0hvFfdNcghrEMdSvudpZgCIEgl0s6miUIBVg8JUgG563U4
I5LtxJtOuXwoLjs+5Gic
-----END CERTIFICATE-----`;

let server: http.Server;
let tlsServer: https.Server;
let port: number;
let tlsPort: number;
let closedPort: number;
/** Headers of requests seen, newest last. */
const seen: http.IncomingHttpHeaders[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.push(req.headers);
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  if (p === '/ok') res.end('fine');
  else if (p === '/500') {
    res.statusCode = 500;
    res.end('secret stack trace');
  } else if (p === '/404') {
    res.statusCode = 404;
    res.end();
  } else if (p === '/redirect') {
    res.writeHead(302, { location: '/ok' }).end();
  } else if (p === '/redirect-to-500') {
    res.writeHead(301, { location: '/500' }).end();
  } else if (p === '/redirect-other-port') {
    // Same hostname, another port: followed (port is ignored in the check); nothing listens there.
    res.writeHead(307, { location: `http://127.0.0.1:${closedPort}/ok` }).end();
  } else if (p === '/redirect-other-host') {
    res.writeHead(302, { location: 'http://pier-probe-test.invalid/ok' }).end();
  } else if (p === '/redirect-localhost') {
    // Same machine, different hostname: not followed.
    res.writeHead(302, { location: `http://localhost:${port}/ok` }).end();
  } else if (p === '/302-without-location') {
    res.writeHead(302).end();
  } else if (p === '/loop') {
    res.writeHead(302, { location: '/loop' }).end();
  } else if (p.startsWith('/chain/')) {
    const n = Number(p.slice('/chain/'.length));
    if (n === 0) res.end('end of chain');
    else res.writeHead(302, { location: `/chain/${n - 1}` }).end();
  } else if (p === '/endless') {
    // More than the limit, then the response stays open forever.
    res.writeHead(200);
    res.write(Buffer.alloc(MAX_BODY_BYTES + 1, 'x'));
  } else if (p === '/stall') {
    res.writeHead(200);
    res.write('partial');
  } else if (p === '/hang') {
    // Never answers.
  } else if (p === '/big') {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    res.writeHead(200, { 'content-length': String(1024 * 1024) });
    const write = () => {
      while (written < 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', write);
          return;
        }
      }
      res.end();
    };
    res.on('error', () => {});
    write();
  } else {
    res.statusCode = 404;
    res.end();
  }
}

function listen(s: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = http.createServer(handler);
  tlsServer = https.createServer({ key: TEST_KEY, cert: TEST_CERT }, handler);
  port = await listen(server);
  tlsPort = await listen(tlsServer);
  const probeClosed = http.createServer();
  closedPort = await listen(probeClosed);
  await new Promise((resolve) => probeClosed.close(resolve));
});

afterAll(async () => {
  for (const s of [server, tlsServer]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const target = (overrides: Partial<ProbeTarget> = {}): ProbeTarget => ({
  host: '127.0.0.1',
  port,
  containerPort: 8000,
  exec: () => Promise.reject(new Error('unused')),
  ...overrides,
});

const action = (path: string, overrides: Partial<HttpGetAction> = {}): HttpGetAction => ({
  path,
  port: 8000, // the container port: maps to the instance's real port
  scheme: 'HTTP',
  http_headers: [],
  ...overrides,
});

describe('probeHttp against a real server', () => {
  const cases: { name: string; path: string; result: string; message: RegExp }[] = [
    { name: '200', path: '/ok', result: 'success', message: /statuscode: 200/ },
    { name: '302 to the same host is followed', path: '/redirect', result: 'success', message: /statuscode: 200/ },
    {
      name: 'a followed redirect ending in 500 fails',
      path: '/redirect-to-500',
      result: 'failure',
      message: /^HTTP probe failed with statuscode: 500$/,
    },
    {
      name: '500 fails without the body',
      path: '/500',
      result: 'failure',
      message: /^HTTP probe failed with statuscode: 500$/,
    },
    { name: '404 fails', path: '/404', result: 'failure', message: /^HTTP probe failed with statuscode: 404$/ },
    {
      name: 'redirect to another hostname is not followed: warning',
      path: '/redirect-other-host',
      result: 'warning',
      message: /another host \(http:\/\/pier-probe-test\.invalid\/ok\)/,
    },
    {
      name: 'redirect from 127.0.0.1 to localhost is another hostname: warning',
      path: '/redirect-localhost',
      result: 'warning',
      message: /another host/,
    },
    {
      name: 'a 3xx without Location is the answer: warning',
      path: '/302-without-location',
      result: 'warning',
      message: /302/,
    },
    {
      name: 'same hostname on another port is followed (and fails there)',
      path: '/redirect-other-port',
      result: 'failure',
      message: new RegExp(`127\\.0\\.0\\.1:${'\\d+'}/ok.*connection refused`),
    },
    { name: 'redirect loop fails', path: '/loop', result: 'failure', message: /stopped after 10 redirects/ },
    { name: '9 redirects (10 requests) succeed', path: '/chain/9', result: 'success', message: /200/ },
    {
      name: 'a 10th redirect fails (Go/kubelet limit)',
      path: '/chain/10',
      result: 'failure',
      message: /stopped after 10 redirects/,
    },
    { name: '1 MB body: only 10 KiB read, still success', path: '/big', result: 'success', message: /200/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = await probeHttp(action(c.path), target(), 5000);
      expect(out.result).toBe(c.result);
      expect(out.message).toMatch(c.message);
      expect(out.message).not.toContain('secret');
    });
  }

  it('stops reading after 10 KiB: a body that never ends still succeeds within the timeout', async () => {
    expect(MAX_BODY_BYTES).toBe(10_240);
    const out = await probeHttp(action('/endless'), target(), 5000);
    expect(out.result).toBe('success');
  });

  it('a body shorter than the limit but never finished is a timeout', async () => {
    const out = await probeHttp(action('/stall'), target(), 300);
    expect(out.result).toBe('failure');
    expect(out.message).toMatch(/timed out/);
  });

  it('times out on a server that never answers, naming the address', async () => {
    const out = await probeHttp(action('/hang'), target(), 300);
    expect(out.result).toBe('failure');
    expect(out.message).toContain(`http://127.0.0.1:${port}/hang`);
    expect(out.message).toMatch(/timed out after 300 ms/);
  });

  it('connection refused names the address', async () => {
    const out = await probeHttp(action('/ok', { port: closedPort }), target(), 2000);
    expect(out.result).toBe('failure');
    expect(out.message).toContain(`127.0.0.1:${closedPort}`);
    expect(out.message).toContain('connection refused');
  });

  it('a port other than the container port is used as written', async () => {
    const out = await probeHttp(action('/ok', { port }), target({ port: closedPort }), 2000);
    expect(out.result).toBe('success');
  });

  it('the spec serving port maps to the instance port when containerPort is not set', async () => {
    const out = await probeHttp(action('/ok', { port: 8123 }), target({ containerPort: undefined }), 2000, {
      servingPort: 8123,
    });
    expect(out.result).toBe('success');
  });

  it('host field sets where to connect', async () => {
    const out = await probeHttp(
      action('/ok', { host: '127.0.0.1' }),
      target({ host: 'pier-probe-test.invalid' }),
      2000,
    );
    expect(out.result).toBe('success');
  });

  it('sends default headers: User-Agent pier-probe/<version>, Accept */*; no compression', async () => {
    seen.length = 0;
    await probeHttp(action('/ok'), target(), 2000, { userAgentVersion: '1.2' });
    const h = seen[0];
    expect(h['user-agent']).toBe('pier-probe/1.2');
    expect(h.accept).toBe('*/*');
    expect(h['accept-encoding']).toBeUndefined();
    expect(h.connection).toBe('close');
    seen.length = 0;
    await probeHttp(action('/ok'), target(), 2000);
    expect(seen[0]['user-agent']).toBe('pier-probe/0.1');
  });

  it('user headers replace defaults, empty values remove them, repeats and Host are sent', async () => {
    seen.length = 0;
    await probeHttp(
      action('/redirect', {
        http_headers: [
          { name: 'user-agent', value: 'custom/1' },
          { name: 'Accept', value: '' },
          { name: 'X-Token', value: 'a' },
          { name: 'X-Token', value: 'b' },
          { name: 'Host', value: 'model.example.com' },
        ],
      }),
      target(),
      2000,
    );
    expect(seen).toHaveLength(2); // the redirect was followed with the same headers
    for (const h of seen) {
      expect(h['user-agent']).toBe('custom/1');
      expect(h.accept).toBeUndefined();
      expect(h['x-token']).toBe('a, b');
      expect(h.host).toBe('model.example.com');
    }
  });

  it('an empty User-Agent removes it', async () => {
    seen.length = 0;
    await probeHttp(action('/ok', { http_headers: [{ name: 'User-Agent', value: '' }] }), target(), 2000);
    expect(seen[0]['user-agent']).toBeUndefined();
    expect(seen[0].accept).toBe('*/*');
  });

  it('HTTPS without certificate verification', async () => {
    const out = await probeHttp(action('/ok', { scheme: 'HTTPS', port: tlsPort }), target(), 5000);
    expect(out).toEqual({ result: 'success', message: 'HTTP probe succeeded with statuscode: 200' });
    const redirected = await probeHttp(action('/redirect', { scheme: 'HTTPS', port: tlsPort }), target(), 5000);
    expect(redirected.result).toBe('success');
  });
});
