import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteEndpointSource, type RemoteEndpointSource } from './remote-source.js';
import { type Backend, service, startBackend, until } from './test-helpers.js';
import type { EndpointSnapshot } from './types.js';

const snap = (version: number): EndpointSnapshot => ({
  version,
  services: { s: service('s', [{ instanceId: `i${version}`, host: '127.0.0.1', port: 1000 + version, revision: 1 }]) },
});

describe('createRemoteEndpointSource', () => {
  let control: Backend | undefined;
  let source: RemoteEndpointSource | undefined;
  afterEach(async () => {
    source?.close();
    await control?.close();
  });

  it('follows the NDJSON stream, ignores heartbeats, reconnects and keeps the last snapshot meanwhile', async () => {
    const auths: (string | undefined)[] = [];
    const open: ServerResponse[] = [];
    let connections = 0;
    control = await startBackend((req, res) => {
      auths.push(req.headers.authorization);
      if (req.url !== '/api/v1/endpoints/watch') {
        res.writeHead(404).end();
        return;
      }
      connections++;
      if (connections === 2) {
        res.writeHead(503).end('control plane restarting');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (connections === 1) {
        // A snapshot split across writes, then a heartbeat, then the stream breaks.
        const line = JSON.stringify(snap(1)) + '\n';
        res.write(line.slice(0, 10));
        res.write(line.slice(10) + '{"heartbeat":true}\n');
        open.push(res);
      } else {
        res.write(JSON.stringify(snap(2)) + '\n');
        open.push(res);
      }
    });
    source = createRemoteEndpointSource({
      controlUrl: `http://127.0.0.1:${control.port}`,
      adminToken: 'admin-secret',
      minBackoffMs: 20,
      maxBackoffMs: 100,
    });
    const seen: number[] = [];
    source.subscribe((s) => seen.push(s.version));
    await source.ready;
    expect(source.current().version).toBe(1);
    expect(auths[0]).toBe('Bearer admin-secret');
    open[0]!.socket?.destroy();
    await until(() => connections >= 2, 10_000, 'reconnect attempt');
    expect(source.current().version).toBe(1);
    await until(() => source!.current().version === 2, 10_000, 'second snapshot');
    expect(seen).toEqual([1, 2]);
    expect(source.current().services.s!.endpoints[0]!.port).toBe(1002);
    expect(connections).toBe(3);
  });

  it('serves an empty snapshot until the first one arrives and stops on close', async () => {
    let connections = 0;
    control = await startBackend((_req, res) => {
      connections++;
      res.writeHead(500).end();
    });
    source = createRemoteEndpointSource({
      controlUrl: `http://127.0.0.1:${control.port}`,
      adminToken: 't',
      minBackoffMs: 10,
      maxBackoffMs: 20,
    });
    expect(source.current()).toEqual({ version: 0, services: {} });
    await until(() => connections >= 3, 10_000, 'retries');
    source.close();
    const after = connections;
    await new Promise((r) => setTimeout(r, 100));
    expect(connections).toBeLessThanOrEqual(after + 1);
  });
});
