/** The contract the Kubernetes platform relies on, case by case (the fixtures show whole outputs). */

import { describe, expect, it } from 'vitest';
import { validateKubeObject } from '../../../../test/support/kubernetes-schema.js';
import { loadSpecText, type ServiceSpec } from '../../../spec/index.js';
import type { DesiredState } from '../../types.js';
import {
  desiredFromSpec,
  type KubeObject,
  kubeName,
  kubernetesUnsupported,
  LABELS,
  registryOf,
  translateService,
} from './index.js';

const config = { namespace: 'ns', defaultImage: 'busybox:1.36' };

function spec(raw: Record<string, unknown>): ServiceSpec {
  const r = loadSpecText(JSON.stringify(raw));
  if (!r.spec) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

const base = {
  name: 'svc',
  metadata: { instance: 2 },
  containers: [{ command: 'python3 app.py --port ${PORT}', port: 8000 }],
};

function objects(
  raw: Record<string, unknown> = base,
  edit: (d: DesiredState) => DesiredState = (d) => d,
  ownerUid?: string,
) {
  const desired = edit(desiredFromSpec(spec(raw), config));
  return translateService({ desired, config, ...(ownerUid ? { ownerUid } : {}) });
}

// biome-ignore lint/suspicious/noExplicitAny: reading into generated objects
const field = (o: KubeObject | undefined, ...keys: string[]): any => keys.reduce((v: any, k) => v?.[k], o);
const podSpec = (objs: KubeObject[]) => field(objs[0], 'spec', 'template', 'spec');
const serving = (objs: KubeObject[]) => podSpec(objs).containers[0];

describe('kubeName', () => {
  it('keeps a name that is already a DNS label', () => {
    expect(kubeName('iris')).toBe('iris');
    expect(kubeName('model2')).toBe('model2');
  });
  it('maps _ and capitals and adds a hash of the exact name, so that names never collide', () => {
    const names = ['My_Svc', 'my_svc', 'MY_SVC', 'mysvc', 'my_svc_'].map(kubeName);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(kubeName('My_Svc')).toMatch(/^my-svc-[0-9a-f]{6}$/);
    expect(kubeName('My_Svc')).toBe(kubeName('My_Svc'));
  });
  it('fits a 63-character EAS name into 63 characters', () => {
    const long = `A${'b_'.repeat(31)}`;
    expect(long).toHaveLength(63);
    expect(kubeName(long).length).toBeLessThanOrEqual(63);
    expect(kubeName(long)).toMatch(/^[a-z]([a-z0-9-]*[a-z0-9])?$/);
  });
});

describe('translateService', () => {
  it('makes the Deployment first, then the Service, all labelled and in the namespace', () => {
    const objs = objects();
    expect(objs.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    for (const o of objs) {
      expect(o.metadata).toMatchObject({
        name: 'svc',
        namespace: 'ns',
        labels: { [LABELS.managedBy]: 'pier', [LABELS.service]: 'svc' },
        annotations: { 'pier.dev/service-name': 'svc' },
      });
      validateKubeObject(o);
    }
  });

  it('selects on the service only; the template names the revision; replicas as desired', () => {
    const objs = objects(base, (d) => ({ ...d, replicas: 5, current: { ...d.current, revision: 4 } }));
    expect(field(objs[0], 'spec', 'selector')).toEqual({ matchLabels: { [LABELS.service]: 'svc' } });
    expect(field(objs[0], 'spec', 'replicas')).toBe(5);
    expect(field(objs[0], 'spec', 'template', 'metadata', 'labels', LABELS.revision)).toBe('4');
    expect(field(objs[0], 'metadata', 'annotations', 'pier.dev/revision')).toBe('4');
  });

  it('keeps the template of the oldest equivalent revision, so that no rollout starts', () => {
    const at = (revision: number, equivalent: number[]) =>
      objects(base, (d) => {
        const s = d.current.spec;
        const redo = desiredFromSpec(s, config, { revision });
        return { ...redo, equivalent };
      });
    const first = at(2, []);
    const again = at(5, [2, 3]);
    expect(field(again[0], 'spec', 'template')).toEqual(field(first[0], 'spec', 'template'));
    expect(field(again[0], 'metadata', 'annotations', 'pier.dev/revision')).toBe('5');
    expect(serving(again).env).toContainEqual({ name: 'PIER_REVISION', value: '2' });
  });

  it('gives the Service the serving port by name and the Service and Secret an owner when the uid is known', () => {
    const withAuth = { ...base, containers: [{ image: 'reg.example.com/a/b:1', port: 8000 }], dockerAuth: 'dTpw' };
    const objs = objects(withAuth, undefined, 'uid-1');
    expect(objs.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'Secret']);
    expect(field(objs[1], 'spec', 'ports')).toEqual([
      { name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(field(objs[1], 'spec', 'selector')).toEqual({ [LABELS.service]: 'svc' });
    expect(serving(objs).ports).toEqual([{ name: 'http', containerPort: 8000, protocol: 'TCP' }]);
    const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'svc', uid: 'uid-1' }];
    expect(objs[1].metadata.ownerReferences).toEqual(owner);
    expect(objs[2].metadata.ownerReferences).toEqual(owner);
    expect(objs[0].metadata.ownerReferences).toBeUndefined();
    expect(objects(withAuth)[2].metadata.ownerReferences).toBeUndefined();
    const config = JSON.parse(Buffer.from(field(objs[2], 'data', '.dockerconfigjson'), 'base64').toString());
    expect(config).toEqual({ auths: { 'reg.example.com': { auth: 'dTpw' } } });
    expect(podSpec(objs).imagePullSecrets).toEqual([{ name: 'svc-registry' }]);
  });

  it('runs command through sh with exec and ${PORT} written out; keeps $ literal for the kubelet', () => {
    const objs = objects({
      ...base,
      containers: [
        { command: 'python3 app.py --port ${PORT} --home $HOME', port: 8000, env: [{ name: 'A', value: '$(B)' }] },
      ],
    });
    expect(serving(objs).command).toEqual(['/bin/sh', '-c', 'exec python3 app.py --port 8000 --home $$HOME']);
    expect(serving(objs).image).toBe('busybox:1.36');
    expect(serving(objs).env).toContainEqual({ name: 'A', value: '$$(B)' });
    expect(serving(objs).env).toContainEqual({ name: 'PORT', value: '8000' });
    expect(serving(objs).env).toContainEqual({
      name: 'PIER_INSTANCE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });

  it('has one env entry per name, the last value winning', () => {
    const objs = objects({ ...base, containers: [{ command: 'x', port: 8000, env: [{ name: 'PORT', value: '1' }] }] });
    expect(serving(objs).env.filter((e: { name: string }) => e.name === 'PORT')).toEqual([
      { name: 'PORT', value: '8000' },
    ]);
  });

  it('leaves an image-only container to its entrypoint, and drains before SIGTERM within the grace', () => {
    const objs = objects({
      ...base,
      metadata: { instance: 1, eas: { termination_grace_period: 3 } },
      containers: [{ image: 'nginx', port: 8000 }],
    });
    expect(serving(objs).command).toBeUndefined();
    expect(serving(objs).lifecycle).toEqual({ preStop: { sleep: { seconds: 2 } } });
    expect(podSpec(objs).terminationGracePeriodSeconds).toBe(3);
  });

  it('sizes the serving container: cpu and memory requests = limits, GPUs as limits', () => {
    const objs = objects({ ...base, metadata: { instance: 1, cpu: 0.5, memory: 1024, gpu: 2 } });
    expect(serving(objs).resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '2' },
    });
  });

  it('marks gRPC services h2c on the Service port', () => {
    const objs = objects({ ...base, metadata: { instance: 1, enable_grpc: true } });
    expect(field(objs[1], 'spec', 'ports', '0', 'appProtocol')).toBe('kubernetes.io/h2c');
  });
});

describe('registryOf', () => {
  it('reads the registry as the Docker reference grammar does', () => {
    expect(registryOf('nginx')).toBe('https://index.docker.io/v1/');
    expect(registryOf('library/nginx:1')).toBe('https://index.docker.io/v1/');
    expect(registryOf('localhost/x')).toBe('localhost');
    expect(registryOf('reg:5000/x/y')).toBe('reg:5000');
    expect(registryOf('registry.example.com/x/y:z')).toBe('registry.example.com');
  });
});

describe('kubernetesUnsupported', () => {
  it('accepts what a pod can run', () => {
    expect(kubernetesUnsupported(spec(base))).toBeNull();
  });
  it('refuses shell operators in command, naming script', () => {
    const reason = kubernetesUnsupported(spec({ ...base, containers: [{ command: 'a && b', port: 8000 }] }));
    expect(reason).toMatch(/containers\[0\].*script/);
  });
});
