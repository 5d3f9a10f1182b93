/** makeInstancePlan over the examples and the compat corpus: one table row per spec. */

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSpecText, type ServiceSpec, validateSpec } from '../../spec/index.js';
import { makeInstancePlan, resolveEnv, servingOf } from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const compatSpecs = path.resolve(repoRoot, '../shared/compat/specs');

function load(file: string): ServiceSpec {
  const parsed = parseSpecText(readFileSync(file, 'utf8'), { filename: file });
  const result = validateSpec(parsed.value);
  if (!result.ok || !result.spec) throw new Error(`${file}: ${JSON.stringify(result.errors)}`);
  return result.spec;
}

interface Row {
  file: string;
  serving: { port?: number; image?: string; probes: string[]; readiness: string };
  containers: number;
  mounts: string[];
  resources: { cpu?: number; memoryMb?: number; gpu: number };
  grace: number;
  userEnv: string[];
  dockerAuth?: boolean;
}

const rows: Row[] = [
  {
    file: 'examples/python-classifier/service.json',
    serving: { port: 8000, probes: ['readiness'], readiness: 'httpGet' },
    containers: 1,
    mounts: [],
    resources: { gpu: 0 },
    grace: 30,
    userEnv: [],
  },
  {
    file: 'examples/grpc-node/service.json',
    serving: { probes: ['readiness'], readiness: 'grpc' },
    containers: 1,
    mounts: [],
    resources: { gpu: 0 },
    grace: 30,
    userEnv: [],
  },
  {
    file: `${compatSpecs}/seed-storage.json`,
    serving: { port: 8000, image: 'myharbor.example.com/xxx/yyy:zzz', probes: ['readiness'], readiness: 'tcpSocket' },
    containers: 1,
    mounts: ['oss:/models/', 'oss:/root/code'],
    resources: { gpu: 0 },
    grace: 30,
    userEnv: ['var_name'],
    dockerAuth: true,
  },
  {
    file: `${compatSpecs}/seed-health-check.json`,
    serving: { port: 8000, image: 'registry.example.com/xxx/yyy:zzz', probes: ['readiness'], readiness: 'httpGet' },
    containers: 1,
    mounts: [],
    resources: { gpu: 0 },
    grace: 30,
    userEnv: [],
  },
  {
    file: `${compatSpecs}/seed-liveness.json`,
    serving: {
      port: 8000,
      image: 'registry.example.com/team/app:1',
      probes: ['liveness', 'readiness'],
      readiness: 'tcpSocket',
    },
    containers: 1,
    mounts: [],
    resources: { gpu: 0 },
    grace: 30,
    userEnv: ['VAR_NAME'],
  },
];

function handler(p: object | undefined): string {
  return Object.keys(p ?? {}).find((k) => ['httpGet', 'tcpSocket', 'exec', 'grpc'].includes(k)) ?? 'none';
}

describe('makeInstancePlan', () => {
  it.each(rows)('$file', (row) => {
    const file = path.isAbsolute(row.file) ? row.file : path.join(repoRoot, row.file);
    const spec = load(file);
    const plan = makeInstancePlan(spec, 3);
    const serving = servingOf(plan);
    expect(plan.service).toBe(spec.name);
    expect(plan.revision).toBe(3);
    expect(plan.containers).toHaveLength(row.containers);
    if (row.serving.port !== undefined) expect(serving.port).toBe(row.serving.port);
    expect(serving.image).toBe(row.serving.image);
    expect(Object.keys(serving.probes).sort()).toEqual(row.serving.probes);
    expect(handler(serving.probes.readiness)).toBe(row.serving.readiness);
    expect(plan.mounts.map((m) => `${m.source.kind}:${m.mountPath}`)).toEqual(row.mounts);
    expect(plan.resources).toEqual(row.resources);
    expect(plan.terminationGracePeriodSeconds).toBe(row.grace);
    expect(plan.dockerAuth !== undefined).toBe(row.dockerAuth ?? false);
    // The spec's env first, then Pier's documented variables, in that order.
    expect(serving.env.map((e) => e.name)).toEqual([
      ...row.userEnv,
      'PORT',
      'PIER_SERVICE',
      'PIER_INSTANCE',
      'PIER_REVISION',
    ]);
    const env = resolveEnv(serving.env, { instanceId: 'svc-3-abc', port: 41000 });
    expect(env).toMatchObject({
      PORT: '41000',
      PIER_SERVICE: spec.name,
      PIER_INSTANCE: 'svc-3-abc',
      PIER_REVISION: '3',
    });
  });

  it('maps probe fields to the kubelet names, the older health_check as readiness', () => {
    const plan = makeInstancePlan(load(`${compatSpecs}/seed-health-check.json`), 1);
    expect(servingOf(plan).probes.readiness).toEqual({
      httpGet: { path: '/', port: 8000, scheme: 'HTTP', httpHeaders: [] },
      initialDelaySeconds: 3,
      periodSeconds: 3,
      timeoutSeconds: 1,
      successThreshold: 2,
      failureThreshold: 4,
    });
  });

  it('carries resources, grace, rollout, mounts and sidecars', () => {
    const spec = validateSpec({
      name: 'gpu_svc',
      metadata: {
        instance: 2,
        cpu: 4,
        memory: 8000,
        gpu: 2,
        eas: { termination_grace_period: 12 },
        rolling_strategy: { max_surge: '50%', max_unavailable: 1, min_ready_seconds: 5 },
      },
      containers: [
        { command: 'sidecar --x', env: [{ name: 'A', value: '1' }] },
        { command: 'python3 app.py', port: 8000, liveness_check: { tcp_socket: { port: 8000 } } },
      ],
      storage: [
        { mount_path: '/data', local: { path: '/srv/data', readOnly: true } },
        { mount_path: '/scratch', empty_dir: { medium: 'memory', size_limit: '1Gi' } },
        { mount_path: '/nfs', nfs: { server: '10.0.0.1', path: '/export' } },
      ],
    }).spec as ServiceSpec;
    const plan = makeInstancePlan(spec, 7, { defaultImage: 'python:3.12-slim' });
    expect(plan.resources).toEqual({ cpu: 4, memoryMb: 8000, gpu: 2 });
    expect(plan.terminationGracePeriodSeconds).toBe(12);
    expect(plan.rollout).toEqual({
      maxSurge: '50%',
      maxUnavailable: 1,
      minReadySeconds: 5,
      progressDeadlineSeconds: 600,
    });
    expect(plan.containers.map((c) => [c.name, c.role, c.image])).toEqual([
      ['sidecar-0', 'sidecar', 'python:3.12-slim'],
      ['serving', 'serving', 'python:3.12-slim'],
    ]);
    expect(plan.containers[0]?.probes).toEqual({});
    expect(Object.keys(servingOf(plan).probes).sort()).toEqual(['liveness', 'readiness']);
    expect(plan.mounts).toEqual([
      { index: 0, mountPath: '/data', source: { kind: 'local', path: '/srv/data', readOnly: true } },
      { index: 1, mountPath: '/scratch', source: { kind: 'empty_dir', medium: 'memory', sizeLimit: '1Gi' } },
      { index: 2, mountPath: '/nfs', source: { kind: 'nfs', server: '10.0.0.1', path: '/export', readOnly: false } },
    ]);
  });

  it('is pure and serializable for every valid compat spec', () => {
    const files = readdirSync(compatSpecs).sort();
    let valid = 0;
    for (const f of files) {
      const parsed = parseSpecText(readFileSync(path.join(compatSpecs, f), 'utf8'), { filename: f });
      const result = validateSpec(parsed.value);
      if (!result.ok || !result.spec) continue;
      valid++;
      const a = makeInstancePlan(result.spec, 1);
      expect(JSON.parse(JSON.stringify(a))).toEqual(makeInstancePlan(result.spec, 1));
      expect(a.containers.filter((c) => c.role === 'serving')).toHaveLength(1);
      expect(servingOf(a).probes.readiness).toBeDefined();
    }
    expect(valid).toBeGreaterThan(5);
  });
});
