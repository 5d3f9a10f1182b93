import { describe, expect, it, afterEach } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type Harness, startHarness } from '../../test/support/cli.js';
import { fakeDescription, notFound } from '../../test/support/fake-control.js';
import { validateKubeObject } from '../../test/support/kubernetes-schema.js';
import { loadSpecText } from '../spec/index.js';

let h: Harness;
afterEach(() => h?.close());

const SPEC = {
  name: 'My_Model',
  metadata: { instance: 3, gpu: 1 },
  containers: [{ image: 'registry.example.com/team/model:1', command: 'python3 app.py', port: 8000 }],
  dockerAuth: 'dXNlcjpwYXNz',
};

type Obj = {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace: string };
  spec?: Record<string, unknown>;
};

describe('pier export', () => {
  it('prints the Kubernetes objects of a spec file as YAML, without a server', async () => {
    h = await startHarness();
    const file = h.write('service.json', SPEC);
    // No server answers there: a spec file needs none.
    const r = await h.run(['export', file, '--platform', 'kubernetes', '--namespace', 'ml'], {
      env: { PIER_CONTROL_URL: 'http://127.0.0.1:1' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service', 'Secret']);
    for (const d of docs) {
      expect(d.metadata.namespace).toBe('ml');
      validateKubeObject(d);
    }
    expect(docs[0]?.spec?.replicas).toBe(3);
  });

  it('prints a v1 List with -o json, and uses --default-image for command-only containers', async () => {
    h = await startHarness();
    const file = h.write('cmd.yaml', 'name: cmd\ncontainers:\n  - command: python3 app.py\n    port: 8000\n');
    const r = await h.run(['export', file, '-o', 'json', '--default-image', 'example.org/py:3']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items.map((o: Obj) => o.metadata.namespace)).toEqual(['default', 'default']);
    expect(list.items[0].spec.template.spec.containers[0].image).toBe('example.org/py:3');
  });

  it('exits 2 for an invalid spec and for one Kubernetes cannot run, saying why', async () => {
    h = await startHarness();
    const bad = await h.run([
      'export',
      h.write('bad.json', { name: 'svc', containers: [{ command: 'x', port: 8080 }] }),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('containers[0].port');
    const ops = await h.run([
      'export',
      h.write('ops.json', { name: 'svc', containers: [{ command: 'a && b', port: 8000 }] }),
    ]);
    expect(ops.code).toBe(2);
    expect(ops.stderr).toMatch(/cannot run on Kubernetes: containers\[0\].*script/);
    const missing = await h.run(['export', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('file not found');
  });

  it('exports a service from the server at its revision and count, without the pull Secret it cannot read', async () => {
    const spec = loadSpecText(JSON.stringify(SPEC)).spec;
    if (!spec) throw new Error('SPEC is invalid');
    h = await startHarness({
      describe: (name) => {
        if (name !== 'My_Model') throw notFound(name);
        return fakeDescription(name, { revision: 4, desired: 5, spec: { ...spec, dockerAuth: '***', token: '***' } });
      },
    });
    const r = await h.run(['export', 'My_Model']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*dockerAuth/);
    const docs = parseAllDocuments(r.stdout).map(
      (d) => d.toJS() as Obj & { metadata: { annotations: Record<string, string> } },
    );
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service']);
    expect(docs[0]?.spec?.replicas).toBe(5);
    expect(docs[0]?.metadata.annotations['pier.dev/revision']).toBe('4');
    const unknown = await h.run(['export', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not found');
  });
});
