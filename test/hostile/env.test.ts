/**
 * Issue 12, defect 2: instances inherited the server's environment, including
 * PIER_ADMIN_TOKEN and PIER_OSS_SECRET_ACCESS_KEY, so any model code could take
 * over the control plane. A `pier server` started with secrets in its environment
 * runs a process instance and a container instance that dump theirs; neither may
 * hold a server secret, both hold the spec's env, PORT and PIER_*.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceView, ServiceDescription } from '../../src/api/index.js';
import { buildAppImage, TEST_APP_IMAGE } from '../support/image.js';
import { callApi, fixtureApp, freePort, type PierChild, startPierProcess } from '../e2e/helpers.js';
import { waitFor } from '../support/wait.js';
import { pidOf } from '../support/instance.js';

const ADMIN = 'hostile-env-admin-token-0123456789abcdef';
const SECRETS: Record<string, string> = {
  PIER_OSS_ACCESS_KEY_ID: 'hostile-oss-key-id-4242',
  PIER_OSS_SECRET_ACCESS_KEY: 'hostile-oss-secret-key-4242',
  HOSTILE_DB_PASSWORD: 'hostile-db-password-4242',
};
const SPEC_ENV = [{ name: 'SPEC_VAR', value: 'from-the-spec' }];

let pier: PierChild;
let home: string;
const saved: Record<string, string | undefined> = {};
const api = <T>(method: string, route: string, body?: unknown) =>
  callApi<T>(pier.controlUrl, ADMIN, method, route, body);

beforeAll(async () => {
  buildAppImage('env');
  home = mkdtempSync(path.join(tmpdir(), 'pier-hostile-env-'));
  // The child server inherits the test's environment: put the secrets there.
  for (const [k, v] of Object.entries(SECRETS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    pier = await startPierProcess(home, await freePort(), await freePort(), ADMIN);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
afterAll(async () => {
  if (pier) {
    for (const name of ['env_proc', 'env_box']) await api('DELETE', `/api/v1/services/${name}`).catch(() => undefined);
    const exit = new Promise((resolve) => pier.child.once('exit', resolve));
    pier.child.kill('SIGTERM');
    await exit;
  }
  if (home) rmSync(home, { recursive: true, force: true });
});

async function running(name: string): Promise<ServiceDescription> {
  return waitFor(
    async () => {
      const d = (await api<ServiceDescription>('GET', `/api/v1/services/${name}`)).body;
      return d.status === 'Running' ? d : undefined;
    },
    { what: `${name} to run`, timeoutMs: 90_000 },
  );
}

function expectClean(dump: string): void {
  for (const [k, v] of Object.entries({ ...SECRETS, PIER_ADMIN_TOKEN: ADMIN })) {
    expect(dump, `${k} reached the instance`).not.toContain(v);
    expect(dump).not.toMatch(new RegExp(`^(export )?${k}=`, 'm'));
  }
  expect(dump).toMatch(/^(export )?SPEC_VAR='?from-the-spec'?$/m);
  expect(dump).toMatch(/^(export )?PORT='?8000'?$/m);
  expect(dump).toMatch(/^(export )?PIER_SERVICE='?env_/m);
  expect(dump).toMatch(/^(export )?PIER_INSTANCE='?env-/m);
  expect(dump).toMatch(/^(export )?PIER_REVISION='?1'?$/m);
}

describe('the environment of a spawned instance (issue 12, defect 2)', () => {
  it('a process instance gets the spec env, PORT, PIER_* and host basics, no server secret', async () => {
    const spec = {
      name: 'env_proc',
      metadata: { instance: 1, eas: { termination_grace_period: 2 } },
      containers: [{ script: `env > env.txt; exec node ${fixtureApp}`, port: 8000, env: SPEC_ENV }],
    };
    expect((await api('POST', '/api/v1/services', spec)).status).toBe(201);
    await running('env_proc');
    const [instance] = (await api<InstanceView[]>('GET', '/api/v1/services/env_proc/instances')).body;
    const dump = readFileSync(path.join(home, 'run', 'env_proc', instance.id, 'env.txt'), 'utf8');
    // The process runtime picks the host port and passes it in PORT.
    const port = instance.address?.split(':').at(-1);
    expectClean(dump.replace(new RegExp(`^PORT=${port}$`, 'm'), 'PORT=8000'));
    expect(dump).toMatch(/^PATH=/m);
    const environ = readFileSync(`/proc/${pidOf(instance)}/environ`, 'utf8');
    for (const v of [...Object.values(SECRETS), ADMIN]) expect(environ).not.toContain(v);
  });

  it('a container instance gets the spec env, PORT and PIER_*, no server secret', async () => {
    const spec = {
      name: 'env_box',
      metadata: { instance: 1, eas: { termination_grace_period: 2 } },
      containers: [
        {
          image: `${TEST_APP_IMAGE}:env`,
          // busybox sh: `export -p` lists the whole environment; httpd then serves it.
          script: 'export -p > /www/env.txt; exec httpd -f -p 8000 -h /www',
          port: 8000,
          env: SPEC_ENV,
        },
      ],
    };
    const created = await api('POST', '/api/v1/services', spec);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const svc = await running('env_box');
    const res = await fetch(`${svc.endpoint}/env.txt`, { headers: { authorization: svc.token } });
    expect(res.status).toBe(200);
    expectClean(await res.text());
  });
});
