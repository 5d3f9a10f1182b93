import { afterEach, describe, expect, it } from 'vitest';
import { type DiscoveryMode, discoveryWithoutToken, privateNetworks } from './discovery.js';
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

const PATHS = ['/api/v1/servicediscovery/upstreams/echo', '/exported/apis/eas.alibaba-inc.k8s.io/v1/upstreams/echo'];

describe('discoveryWithoutToken', () => {
  const networks = privateNetworks();
  const rows: [DiscoveryMode, string | undefined, boolean][] = [
    ['private', '127.0.0.1', true],
    ['private', '127.8.9.10', true],
    ['private', '::1', true],
    ['private', '::ffff:127.0.0.1', true],
    ['private', '10.1.2.3', true],
    ['private', '172.16.0.1', true],
    ['private', '172.31.255.255', true],
    ['private', '172.32.0.1', false],
    ['private', '192.168.1.1', true],
    ['private', '100.64.0.1', true],
    ['private', '::ffff:10.0.0.1', true],
    ['private', 'fd12:3456::1', true],
    ['private', 'fe80::1', true],
    ['private', '8.8.8.8', false],
    ['private', '::ffff:8.8.8.8', false],
    ['private', '2001:db8::1', false],
    ['private', undefined, false],
    ['private', 'not-an-address', false],
    ['open', '8.8.8.8', true],
    ['open', undefined, true],
    ['token', '127.0.0.1', false],
    ['off', '127.0.0.1', false],
  ];
  it.each(rows)('%s from %s → %s', (mode, address, want) => {
    expect(discoveryWithoutToken(mode, address, networks)).toBe(want);
  });
});

describe('discovery modes through the gateway (clients on loopback)', () => {
  let backend: Backend;
  let h: Harness;
  afterEach(async () => {
    await h?.gw.close();
    await backend?.close();
  });

  async function setup(discovery?: DiscoveryMode) {
    backend = await startBackend(echoHandler);
    h = await startGateway(
      [service('echo', [backend.endpoint('echo-1')])],
      discovery === undefined ? {} : { discovery },
    );
  }
  const items = () => ({ endpoints: { items: [{ ip: '127.0.0.1', port: backend.port, weight: 100 }] } });

  it('private (the default) answers loopback clients without a token, as EAS does inside a VPC', async () => {
    await setup();
    for (const path of PATHS) {
      const r = await call(h.port, path);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual(items());
    }
    expect((await call(h.port, '/api/v1/servicediscovery/upstreams/nosuch')).status).toBe(404);
    // A predict call still needs the token.
    expect((await call(h.port, '/api/predict/echo')).status).toBe(401);
  });

  it('token asks every client for the token; a wrong one is refused', async () => {
    await setup('token');
    for (const path of PATHS) {
      expect((await call(h.port, path)).status).toBe(401);
      expect((await call(h.port, path, { headers: { authorization: 'wrong' } })).status).toBe(401);
      expect((await call(h.port, path, { headers: { authorization: TOKEN } })).status).toBe(200);
    }
  });

  it('open answers anyone without a token', async () => {
    await setup('open');
    expect(JSON.parse((await call(h.port, PATHS[0]!)).body)).toEqual(items());
  });

  it('off answers 404 on both paths, even with the token', async () => {
    await setup('off');
    for (const path of PATHS) {
      const r = await call(h.port, path, { headers: { authorization: TOKEN } });
      expect(r.status).toBe(404);
      expect(r.body).toContain('--discovery off');
    }
    expect((await call(h.port, '/api/predict/echo', { headers: { authorization: TOKEN } })).status).toBe(200);
  });
});
