/**
 * The PierService CRD's generated schema on a real apiserver: it is structural (the
 * apiserver takes the CRD), every spec `pier validate` accepts (the compatibility
 * corpus, the examples, the translate fixtures) is created as it is (server-side dry
 * run, strict field validation, nothing pruned), and wrong types, values out of range
 * and unknown enum values are refused with the field's path — specs the validator
 * refuses too.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pierServiceCrd } from '../../src/platform/kubernetes/resources/crd.js';
import { parseSpecText, validateSpec } from '../../src/spec/index.js';
import { repoRoot } from '../e2e/helpers.js';
import { type Cluster, downCluster, kube, kubeOk, upCluster, waitOnCluster } from './cluster.js';

const objects = '/apis/pier.dev/v1alpha1/namespaces/default/pierservices';

interface Status {
  status?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

let dir: string;
let c: Cluster;
let upError: Error | undefined;

function cluster(): Cluster {
  if (upError) throw upError;
  return c;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pier-k8s-crd-'));
  try {
    c = await upCluster(path.join(dir, 'cluster'));
  } catch (err) {
    upError = err as Error;
  }
}, 600_000);

afterAll(async () => {
  if (dir) {
    await downCluster(path.join(dir, 'cluster')).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** Every spec file Pier ships or is tested against, parsed as `pier create` reads it. */
function specFiles(): { file: string; spec: Record<string, unknown> }[] {
  const compat = path.resolve(repoRoot, '../shared/compat/specs');
  const fixtures = path.join(repoRoot, 'src/platform/kubernetes/translate/fixtures');
  const examples = path.join(repoRoot, 'examples');
  const files = [
    ...readdirSync(compat).map((f) => path.join(compat, f)),
    ...readdirSync(fixtures)
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(fixtures, f)),
    ...readdirSync(examples, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(examples, d.name, 'service.json')),
  ];
  return files.map((file) => {
    const parsed = parseSpecText(readFileSync(file, 'utf8'));
    if (parsed.errors.length > 0) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
    return { file: path.relative(repoRoot, file), spec: parsed.value as Record<string, unknown> };
  });
}

function dryRunCreate(name: string, spec: unknown) {
  return kube<Status & { spec?: unknown }>(cluster(), 'POST', `${objects}?dryRun=All&fieldValidation=Strict`, {
    apiVersion: 'pier.dev/v1alpha1',
    kind: 'PierService',
    metadata: { name },
    spec,
  });
}

const base = () => ({
  name: 'schema_check',
  metadata: { instance: 1 },
  containers: [{ image: 'pier.test/echo:1', port: 8000 }],
});

describe('the PierService schema', () => {
  it('is accepted by the apiserver as a structural schema', async () => {
    const crd = pierServiceCrd();
    const res = await kube(
      cluster(),
      'PATCH',
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${(crd.metadata as { name: string }).name}?fieldManager=pier-test&fieldValidation=Strict`,
      crd,
      'application/apply-patch+yaml',
    );
    expect(res.status, JSON.stringify(res.body).slice(0, 2000)).toBeLessThan(300);
    await waitOnCluster(
      () =>
        kubeOk<{ status?: { conditions?: { type: string; status: string }[] } }>(
          cluster(),
          'GET',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/pierservices.pier.dev',
        ),
      (o) => o.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') === true,
      'the CRD established',
    );
    await waitOnCluster(
      async () => (await kube(cluster(), 'GET', objects)).status,
      (s) => s === 200,
      'PierServices served',
    );
  });

  it('creates every spec pier validate accepts, unchanged', async () => {
    let accepted = 0;
    for (const [i, { file, spec }] of specFiles().entries()) {
      if (!validateSpec(spec).ok) continue;
      const res = await dryRunCreate(`spec-${i}`, spec);
      expect(res.status, `${file}: ${JSON.stringify(res.body).slice(0, 1500)}`).toBe(201);
      expect(res.body.spec, `${file}: nothing pruned`).toEqual(spec);
      accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(20);
  });

  it('creates the spec as Pier writes it back (normalized, with its defaults)', async () => {
    for (const [i, { file, spec }] of specFiles().entries()) {
      const result = validateSpec(spec);
      if (!result.ok) continue;
      const res = await dryRunCreate(`normalized-${i}`, result.spec);
      expect(res.status, `${file}: ${JSON.stringify(res.body).slice(0, 1500)}`).toBe(201);
      // Unchanged too: the mirror compares what it reads back with what it wrote.
      expect(res.body.spec, `${file}: nothing pruned`).toEqual(JSON.parse(JSON.stringify(result.spec)));
    }
  });

  const refused: { what: string; edit: (s: ReturnType<typeof base>) => unknown; field: string }[] = [
    {
      what: 'a word where an integer is required',
      edit: (s) => ({ ...s, metadata: { instance: 'two' } }),
      field: 'spec.metadata.instance',
    },
    {
      what: 'a fraction where an integer is required',
      edit: (s) => ({ ...s, metadata: { instance: 1.5 } }),
      field: 'spec.metadata.instance',
    },
    {
      what: 'a port out of range',
      edit: (s) => ({ ...s, containers: [{ image: 'pier.test/echo:1', port: 70000 }] }),
      field: 'spec.containers[0].port',
    },
    {
      what: 'an unknown enum value',
      edit: (s) => ({ ...s, metadata: { instance: 1, burst_resource: 'spot' } }),
      field: 'spec.metadata.burst_resource',
    },
    {
      what: 'an unknown probe scheme',
      edit: (s) => ({
        ...s,
        containers: [
          { image: 'pier.test/echo:1', port: 8000, readiness_check: { http_get: { port: 8000, scheme: 'FTP' } } },
        ],
      }),
      field: 'spec.containers[0].readiness_check.http_get.scheme',
    },
    {
      what: 'a boolean that is not one',
      edit: (s) => ({ ...s, metadata: { instance: 1, enable_grpc: 'yes' } }),
      field: 'spec.metadata.enable_grpc',
    },
    {
      what: 'a missing required field',
      edit: (s) => ({ ...s, autoscaler: { max: 3, scaleStrategies: [{ metricName: 'qps', threshold: 10 }] } }),
      field: 'spec.autoscaler.min',
    },
    {
      what: 'an empty container list',
      edit: (s) => ({ ...s, containers: [] }),
      field: 'spec.containers',
    },
    {
      // (An object there is refused before the schema, by strict decoding, without a cause list.)
      what: 'a string where a list is required',
      edit: (s) => ({ ...s, containers: [{ image: 'pier.test/echo:1', port: 8000, env: 'A=1' }] }),
      field: 'spec.containers[0].env',
    },
  ];

  it.each(refused)('refuses $what, naming $field (and so does pier validate)', async ({ edit, field }) => {
    const spec = edit(base());
    expect(validateSpec(spec).ok).toBe(false);
    const res = await dryRunCreate('refused', spec);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    const fields = (res.body.details?.causes ?? []).map((x) => x.field);
    expect(fields, res.body.message).toContain(field);
  });

  it('leaves cross-field rules to Pier (the SpecValid condition)', async () => {
    const spec = { ...base(), containers: [{ image: 'pier.test/echo:1', command: 'a', script: 'b', port: 8000 }] };
    expect(validateSpec(spec).ok).toBe(false);
    expect((await dryRunCreate('cross-field', spec)).status).toBe(201);
  });
});
