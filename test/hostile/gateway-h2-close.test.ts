import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, service, startGateway } from '../support/gateway.js';
import { waitFor } from '../support/wait.js';

/**
 * Issue 12, defect 1: a connection that sends the HTTP/2 preface and then closes
 * (client FIN) stayed in CLOSE-WAIT forever, and idle HTTP/2 sessions never timed
 * out, so one client without a token used up every file descriptor.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** An empty SETTINGS frame: length 0, type 4, flags 0, stream 0 (RFC 9113 §6.5). */
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

const openFds = () => readdirSync('/proc/self/fd').length;
const connections = (h: Harness) =>
  new Promise<number>((resolve, reject) => h.gw.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

/** Waits until the server holds no connection (at most 30 s, well under the 75 s idle timeout). */
async function settledConnections(h: Harness): Promise<number> {
  await waitFor(async () => (await connections(h)) === 0, { what: 'no open connection', timeoutMs: 30_000 });
  return connections(h);
}

/** Connects, sends the preface and SETTINGS, reads the server's first frames, then half-closes. */
function prefaceAndLeave(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', reject);
    s.on('connect', () => s.write(Buffer.concat([PREFACE, SETTINGS])));
    s.once('data', () => {
      s.end();
      resolve();
    });
  });
}

describe('issue 12 #1: HTTP/2 connections are released', () => {
  let h: Harness;
  let idle: Harness;
  beforeAll(async () => {
    // The default idle timeout (75 s) is far beyond the bounded waits below, so the
    // close loop passes only if a client FIN itself releases the connection.
    h = await startGateway([service('svc', [])]);
    idle = await startGateway([service('svc', [])], { limits: { idleTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await h.gw.close();
    await idle.gw.close();
  });

  it('a client FIN after the preface closes the connection, 300 times over', async () => {
    const baseFds = openFds();
    for (let i = 0; i < 300; i++) await prefaceAndLeave(h.port);
    // Bounded (30 s, far below the 75 s idle timeout): until the server holds none.
    expect(await settledConnections(h)).toBe(0);
    // Sockets of this process (client and server ends) are gone too.
    expect(openFds()).toBeLessThanOrEqual(baseFds + 10);
  });

  it('an idle HTTP/2 session is closed by the server after limits.idleTimeoutMs', async () => {
    const s = connect(idle.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.resume();
    s.on('connect', () => s.write(Buffer.concat([PREFACE, SETTINGS])));
    // Bounded: without an idle timeout the session would stay open for good.
    const closedByServer = await new Promise<boolean>((resolve) => {
      const bound = setTimeout(() => resolve(false), 30_000);
      s.once('end', () => resolve(true));
      s.once('close', () => resolve(true));
      s.once('end', () => clearTimeout(bound));
      s.once('close', () => clearTimeout(bound));
    });
    expect(closedByServer).toBe(true);
    s.destroy();
    expect(await settledConnections(idle)).toBe(0);
  });
});
