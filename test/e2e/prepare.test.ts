/**
 * prepare.pythonRequirements and storage through a real Pier: a python service
 * whose requirement comes from a local wheel directory (pip --no-index, as on an
 * offline machine) imports it, and sees a `local` and an `empty_dir` mount.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceDescription } from '../../src/api/index.js';
import { buildWheel } from '../../src/runtime/prepare/wheel-fixture.js';
import { startTestPier, type TestPier } from './helpers.js';
import { waitFor } from '../support/wait.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'pier-prepare-e2e-'));
const wheels = path.join(scratch, 'wheels');
const models = path.join(scratch, 'models');
let pier: TestPier;

beforeAll(async () => {
  buildWheel(wheels, 'tinymodel', 'def predict(x):\n    return x * 2\n');
  mkdirSync(models, { recursive: true });
  writeFileSync(path.join(models, 'weights.txt'), 'w=42\n');
  pier = await startTestPier({ runtimeConfig: { pip: { noIndex: true, findLinks: [wheels] } } });
});
afterAll(async () => {
  await pier?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// A stdlib HTTP app that answers with what it imported and what its mounts hold.
const APP = `
import http.server, json, os, tinymodel
mounts = json.loads(os.environ["PIER_MOUNTS"])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        scratch = os.path.join(mounts["/scratch"], "note.txt")
        open(scratch, "w").write("written")
        body = json.dumps({
            "predict": tinymodel.predict(21),
            "weights": open(os.path.join(mounts["/models"], "weights.txt")).read().strip(),
            "scratch": open(scratch).read(),
        }).encode()
        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

it('installs pythonRequirements from a local wheel dir and mounts local and empty_dir storage', async () => {
  const spec = {
    name: 'prepared',
    containers: [
      {
        command: `python3 -c '${APP.replaceAll("'", "'\\''")}'`,
        port: 8000,
        prepare: { pythonRequirements: ['tinymodel==1.0'] },
      },
    ],
    storage: [
      { mount_path: '/models', local: { path: models, readOnly: true } },
      { mount_path: '/scratch', empty_dir: {} },
    ],
  };
  const created = await pier.api('POST', '/api/v1/services', spec);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const d = await waitFor(
    async () => {
      const x = (await pier.api<ServiceDescription>('GET', '/api/v1/services/prepared')).body;
      return x.status === 'Running' ? x : undefined;
    },
    { what: 'Running', timeoutMs: 120_000 },
  );
  const res = await fetch(d.endpoint, { headers: { authorization: d.token } });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ predict: 42, weights: 'w=42', scratch: 'written' });
  const logs = String((await pier.api('GET', '/api/v1/services/prepared/logs')).body);
  expect(logs).toContain('[pier]');
});

it('pier create shows the preparation while it waits', async () => {
  const file = path.join(scratch, 'prepared2.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'prepared2',
      containers: [
        {
          command: `python3 -c 'import tinymodel, http.server, os; http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()'`,
          port: 8000,
          prepare: { pythonRequirements: ['tinymodel==1.0'] },
        },
      ],
    }),
  );
  const r = await pier.cli(['create', file]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  expect(r.stdout).toMatch(/virtualenv/);
});
