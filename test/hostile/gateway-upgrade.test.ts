import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, service, startGateway, TOKEN } from '../support/gateway.js';
import { type RawBackend, rawBackend, rawExchange, statuses } from './support.js';

/**
 * Issue 12, defect 4: an `Upgrade` the instance refused (200, not 101) left the
 * client socket piped to the instance, so the next request on that socket reached
 * the instance without a token. A tunnel exists only after a 101.
 */

const BIG = 'x'.repeat(256 * 1024);

function upgradeThenSmuggle(upgrade: string, extra = ''): string {
  return (
    `GET /api/predict/svc/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${TOKEN}\r\n` +
    `Connection: Upgrade${extra}\r\nUpgrade: ${upgrade}\r\n\r\n` +
    `POST /api/predict/svc/smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${BIG.length}\r\n\r\n${BIG}`
  );
}

describe('issue 12 #4: a refused Upgrade is an ordinary answer, never a tunnel', () => {
  let backend: RawBackend;
  let h: Harness;
  beforeAll(async () => {
    // Answers the upgrade request with 200 and keeps the connection for more requests.
    backend = await rawBackend();
    h = await startGateway([service('svc', [backend.endpoint()])]);
  });
  afterAll(async () => {
    await h.gw.close();
    await backend.close();
  });

  for (const [name, upgrade, extra] of [
    ['websocket', 'websocket', ''],
    ['h2c', 'h2c', ', HTTP2-Settings'],
  ] as const) {
    it(`Upgrade: ${name} answered 200: the next request on the socket does not reach the instance`, async () => {
      backend.seen.length = 0;
      const r = await rawExchange(h.port, upgradeThenSmuggle(upgrade, extra), (t) => statuses(t).length >= 2);
      const got = statuses(r.text);
      expect(got[0]).toBe(200);
      // After the refused upgrade: a 401 for the unauthenticated request, or the connection closed.
      expect(got.length === 1 ? r.closed : got[1] === 401).toBe(true);
      expect(backend.seen.map((s) => s.url)).toEqual(['/ws']);
      expect(h.gw.stats().services.svc?.inflight).toBe(0);
    });
  }
});
