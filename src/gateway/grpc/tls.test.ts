import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEndpointStore } from '../store.js';
import { createGateway, type Gateway } from '../gateway.js';
import { service, startBackend, TOKEN } from '../../../test/support/gateway.js';
import { echoClient, type GrpcBackend, metadata, startGrpcBackend, unary } from '../../../test/support/grpc.js';

/** A throwaway self-signed certificate for localhost, made with openssl. */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pier-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('TLS with ALPN on the gateway', () => {
  const tls = selfSigned();
  let grpcBackend: GrpcBackend;
  let httpBackend: Awaited<ReturnType<typeof startBackend>>;
  let gw: Gateway;
  let port: number;

  beforeAll(async () => {
    grpcBackend = await startGrpcBackend('a');
    httpBackend = await startBackend((_req, res) => res.end('over tls'));
    const store = createEndpointStore({
      version: 1,
      services: {
        echo: service('echo', [grpcBackend.endpoint()], { enableGrpc: true }),
        web: service('web', [{ instanceId: 'w1', host: '127.0.0.1', port: httpBackend.port, revision: 1 }]),
      },
    });
    gw = createGateway({ source: store, tls });
    port = await gw.listenTls(0, '127.0.0.1');
  });
  afterAll(async () => {
    await gw.close();
    await grpcBackend.close();
    await httpBackend.close();
  });

  it('serves gRPC over h2 chosen by ALPN', async () => {
    const client = echoClient(port, undefined, tls.cert);
    try {
      const r = await unary(client, { say: 'secure' }, metadata({ authorization: TOKEN, 'x-pier-service': 'echo' }));
      expect(r.err).toBeNull();
      expect(r.value).toMatchObject({ said: 'secure', instance: 'a' });
    } finally {
      client.close();
    }
  });

  it('serves HTTP/1.1 on the same TLS port, also to clients that offer h2 as well (curl, browsers)', async () => {
    const answer = await new Promise<{ status: number; body: string; alpn: string | false | null }>(
      (resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/predict/web/',
            headers: { authorization: TOKEN },
            ca: tls.cert,
            // Offer h2 first, as curl and browsers do.
            ...({ ALPNProtocols: ['h2', 'http/1.1'] } as object),
            servername: 'localhost',
          },
          (res) => {
            const alpn = (res.socket as import('node:tls').TLSSocket).alpnProtocol;
            let body = '';
            res.on('data', (c) => {
              body += c;
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                body,
                alpn,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer).toEqual({ status: 200, body: 'over tls', alpn: 'http/1.1' });
  });

  it('refuses listenTls without a certificate', async () => {
    const plain = createGateway({ source: createEndpointStore() });
    await expect(plain.listenTls(0, '127.0.0.1')).rejects.toThrow(/tls option/);
    await plain.close();
  });
});
