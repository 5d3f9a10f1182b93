import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, service, startGateway, TOKEN } from '../support/gateway.js';
import { rawExchange, recordingBackend } from './support.js';
import { waitFor } from '../support/wait.js';

/**
 * Issue 12's hostile suite: request-smuggling variants over raw sockets. Each
 * sends an authenticated request whose framing is ambiguous, hiding a second
 * request without a token, then an authenticated `Connection: close` request so
 * the exchange ends on its own. Whatever the gateway answers (400, 401, 200), no
 * request without the token may reach the instance.
 */

const HOST = 'Host: 127.0.0.1\r\n';
const AUTH = `Authorization: ${TOKEN}\r\n`;
const SMUGGLED = `GET /api/predict/svc/SMUGGLED HTTP/1.1\r\n${HOST}\r\n`;
const END = `GET /api/predict/svc/END HTTP/1.1\r\n${HOST}${AUTH}Connection: close\r\n\r\n`;
const POST = `POST /api/predict/svc/first HTTP/1.1\r\n${HOST}${AUTH}`;

/** [name, bytes]: the bytes carry SMUGGLED somewhere a lenient parser would find a request. */
const VARIANTS: [string, string][] = [
  ['CL then TE', `${POST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['TE then CL', `${POST}Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  [
    'TE chunked, identity',
    `${POST}Transfer-Encoding: chunked, identity\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'TE identity, chunked + CL',
    `${POST}Transfer-Encoding: identity, chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ['space before colon', `${POST}Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['tab before value', `${POST}Transfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['xchunked + CL', `${POST}Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['two TE headers', `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['TE upper case + CL', `${POST}Transfer-Encoding: CHUNKED\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['duplicate CL, different', `${POST}Content-Length: 5\r\nContent-Length: 60\r\n\r\nhello${SMUGGLED}`],
  ['duplicate CL, same', `${POST}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`],
  ['CL list', `${POST}Content-Length: 5, 60\r\n\r\nhello${SMUGGLED}`],
  ['negative CL', `${POST}Content-Length: -1\r\n\r\n${SMUGGLED}`],
  ['hex CL', `${POST}Content-Length: 0x05\r\n\r\nhello${SMUGGLED}`],
  ['plus-signed CL', `${POST}Content-Length: +5\r\n\r\nhello${SMUGGLED}`],
  ['CL with space inside', `${POST}Content-Length: 5 0\r\n\r\nhello${SMUGGLED}`],
  ['CL space before colon', `${POST}Content-Length : 5\r\n\r\nhello${SMUGGLED}`],
  [
    'bare LF line ends',
    `POST /api/predict/svc/first HTTP/1.1\n${HOST}${AUTH}Transfer-Encoding: chunked\nContent-Length: 5\n\n0\n\n${SMUGGLED}`,
  ],
  ['bare CR in header', `${POST}X-A: 1\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['obs-fold TE', `${POST}Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
  ['obs-fold CL', `${POST}Content-Length: 0\r\n 60\r\n\r\n${SMUGGLED}`],
  [
    'chunk-size overflow',
    `${POST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff1\r\nhello\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  ['negative chunk size', `${POST}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['chunk data overrun', `${POST}Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['chunk ext with bare LF', `${POST}Transfer-Encoding: chunked\r\n\r\n5;x\nhello\r\n0\r\n\r\n${SMUGGLED}`],
  ['trailer with a request in it', `${POST}Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n${SMUGGLED}`],
  ['NUL in header value', `${POST}Content-Length: 5\r\nX-A: a\0b\r\n\r\nhello${SMUGGLED}`],
  [
    'HTTP/1.0 keep-alive chunked',
    `POST /api/predict/svc/first HTTP/1.0\r\n${HOST}${AUTH}Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'Expect 100-continue then CL+TE',
    `${POST}Expect: 100-continue\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'GET with a body',
    `GET /api/predict/svc/first HTTP/1.1\r\n${HOST}${AUTH}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  ['plain pipelining', `${POST}Content-Length: 5\r\n\r\nhello${SMUGGLED}`],
  [
    'absolute-form target',
    `POST http://127.0.0.1/api/predict/svc/first HTTP/1.1\r\n${HOST}${AUTH}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
];

describe('hostile: request smuggling never reaches an instance without a token', () => {
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

  it(`has at least 20 variants (${VARIANTS.length})`, () => {
    expect(VARIANTS.length).toBeGreaterThanOrEqual(20);
  });

  for (const [name, bytes] of VARIANTS) {
    it(name, async () => {
      backend.seen.length = 0;
      const r = await rawExchange(h.port, bytes + END);
      expect(r.closed).toBe(true);
      // Everything the gateway forwarded has been answered (so recorded) once nothing is in flight.
      await waitFor(() => (h.gw.stats().services.svc?.inflight ?? 0) === 0, { what: 'nothing in flight' });
      expect(h.gw.stats().services.svc?.inflight ?? 0).toBe(0);
      expect(backend.seen.filter((s) => s.url.includes('SMUGGLED'))).toEqual([]);
      expect(backend.seen.filter((s) => s.authorization !== TOKEN)).toEqual([]);
    });
  }
});
