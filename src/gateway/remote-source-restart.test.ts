/**
 * Issue 12, defect 7 (gateway side): across a reconnect, a remote gateway keeps
 * its last endpoints for a service while the restarted control plane's snapshots
 * are `incomplete` (readiness of re-adopted instances not known yet), and applies
 * the control plane's view as soon as a complete snapshot arrives.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Backend, service, startBackend } from '../../test/support/gateway.js';
import { waitFor } from '../../test/support/wait.js';
import { createRemoteEndpointSource, keepHeldEndpoints, type RemoteEndpointSource } from './remote-source.js';
import type { EndpointSnapshot } from './types.js';

const ep = (id: string, port: number) => ({ instanceId: id, host: '127.0.0.1', port, revision: 1 });

describe('remote gateway across a control-plane restart (issue 12, defect 7)', () => {
  let control: Backend | undefined;
  let source: RemoteEndpointSource | undefined;
  afterEach(async () => {
    source?.close();
    await control?.close();
  });

  it('keeps the last endpoints while the new snapshots are incomplete, then follows the complete one', async () => {
    const streams: ServerResponse[] = [];
    const acked: number[] = [];
    control = await startBackend((req, res) => {
      if (req.method === 'POST' && req.url === '/api/v1/endpoints/ack') {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          acked.push((JSON.parse(body) as { version: number }).version);
          res.writeHead(204).end();
        });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      streams.push(res);
    });
    const send = (s: EndpointSnapshot) => streams.at(-1)?.write(`${JSON.stringify(s)}\n`);
    source = createRemoteEndpointSource({
      controlUrl: `http://127.0.0.1:${control.port}`,
      adminToken: 't',
      minBackoffMs: 10,
      maxBackoffMs: 20,
    });
    const seen: EndpointSnapshot[] = [];
    source.subscribe((s) => seen.push(s));
    await waitFor(() => streams.length === 1, { what: 'the first watch' });
    send({
      version: 7,
      services: { a: service('a', [ep('a1', 1001), ep('a2', 1002)]), b: service('b', [ep('b1', 2001)]) },
    });
    await waitFor(() => acked.includes(7), { what: 'the ack of version 7' });

    // The control plane dies; a new one comes up knowing its instances but not yet their readiness.
    streams[0]?.destroy();
    await waitFor(() => streams.length === 2, { what: 'the reconnect' });
    send({
      version: 1,
      incomplete: true,
      services: { a: service('a', []), b: service('b', [ep('b1', 2001)]), c: service('c', []) },
    });
    await waitFor(() => seen.length === 2, { what: 'the incomplete snapshot' });
    expect(source.current().services.a?.endpoints.map((e) => e.instanceId)).toEqual(['a1', 'a2']);
    expect(source.current().services.b?.endpoints.map((e) => e.instanceId)).toEqual(['b1']);
    expect(source.current().services.c?.endpoints).toEqual([]);

    // Complete: the control plane's view wins, even where it is empty.
    send({ version: 2, services: { a: service('a', [ep('a1', 1001)]), b: service('b', []) } });
    await waitFor(() => seen.length === 3, { what: 'the complete snapshot' });
    expect(source.current().services.a?.endpoints.map((e) => e.instanceId)).toEqual(['a1']);
    expect(source.current().services.b?.endpoints).toEqual([]);
    await waitFor(() => acked.includes(2), { what: 'the ack of version 2' });
    // The merged snapshot could route to an instance the new control plane dropped: never acknowledged.
    expect(acked).not.toContain(1);
  });

  it('keepHeldEndpoints leaves stopped services and services with endpoints as sent', () => {
    const held: EndpointSnapshot = {
      version: 3,
      services: { a: service('a', [ep('a1', 1)]), s: service('s', [ep('s1', 2)]) },
    };
    const next: EndpointSnapshot = {
      version: 1,
      incomplete: true,
      services: { a: service('a', [ep('a9', 9)]), s: service('s', [], { stopped: true }) },
    };
    expect(keepHeldEndpoints(held, next)).toEqual(next);
  });
});
