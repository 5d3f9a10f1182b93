import { describe, expect, it } from 'vitest';
import { validateSpec } from './index.js';
import { BASE, expectErrors, expectOk, messageAt, spec, specWith, warningAt } from '../../test/support/spec.js';

describe('name (rule 1)', () => {
  it('is read from name or metadata.name and kept in both places', () => {
    expect(expectOk(BASE).metadata.name).toBe('svc');
    const s = expectOk({ metadata: { name: 'meta_only' }, containers: BASE.containers });
    expect([s.name, s.metadata.name]).toEqual(['meta_only', 'meta_only']);
    expectOk(spec({ metadata: { name: 'svc' } }));
  });

  it('names both paths when name and metadata.name differ', () => {
    const r = expectErrors(spec({ metadata: { name: 'other' } }), ['metadata.name']);
    expect(messageAt(r, 'metadata.name')).toMatch(/metadata\.name "other" differs from name "svc"/);
  });

  it('checks length and characters at the path where the name was written', () => {
    expectErrors({ containers: BASE.containers }, ['name']);
    const r = expectErrors(specWith('name', '9starts'), ['name']);
    expect(r.name).toBe('9starts');
    expect(messageAt(r, 'name')).toMatch(/starting with a letter, e\.g\. "svc_9starts"/);
    expectErrors(specWith('name', 'my-svc'), ['name']);
    expectErrors(specWith('name', 'a'.repeat(64)), ['name']);
    expectOk(specWith('name', `A${'b_1'.repeat(20)}xy`));
    expectErrors({ metadata: { name: 'bad name' }, containers: BASE.containers }, ['metadata.name']);
    expectErrors(specWith('name', 42), ['name']);
  });
});

describe('strings for booleans and numbers (rules 2, 3)', () => {
  it('reads "true"/"false" in any case and numeric strings', () => {
    const s = expectOk(
      spec({ metadata: { enable_grpc: 'TRUE', enable_webservice: 'False', instance: '3', cpu: '1.5' } }),
    );
    expect(s.metadata).toMatchObject({ enable_grpc: true, enable_webservice: false, instance: 3, cpu: 1.5 });
    expect(expectOk(specWith('containers[0].port', ' 8000 ')).containers[0].port).toBe(8000);
  });

  it('rejects other strings and says which values are allowed', () => {
    const r = expectErrors(spec({ metadata: { enable_grpc: 'ture' } }), ['metadata.enable_grpc']);
    expect(messageAt(r, 'metadata.enable_grpc')).toBe(
      'enable_grpc "ture" is not a boolean; allowed values: true, false (or the strings "true", "false" in any case)',
    );
    const n = expectErrors(spec({ metadata: { instance: 'two' } }), ['metadata.instance']);
    expect(messageAt(n, 'metadata.instance')).toBe(
      'instance "two" is not a number; use an integer from 0 to 1000, e.g. 1',
    );
  });
});

describe('dotted metadata keys (rule 4)', () => {
  it('equal nesting', () => {
    const s = expectOk(spec({ metadata: { 'rpc.keepalive': 10000, 'eas.termination_grace_period': '60' } }));
    expect(s.metadata.rpc.keepalive).toBe(10000);
    expect(s.metadata.eas.termination_grace_period).toBe(60);
    expect(s.metadata['rpc.keepalive']).toBeUndefined();
    expectOk(spec({ metadata: { 'rpc.keepalive': '10000', rpc: { keepalive: 10000 } } }));
  });

  it('disagreeing with the nested key is an error at the nested path', () => {
    const r = expectErrors(spec({ metadata: { 'rpc.keepalive': 10000, rpc: { keepalive: 5000 } } }), [
      'metadata.rpc.keepalive',
    ]);
    expect(messageAt(r, 'metadata.rpc.keepalive')).toMatch(
      /"rpc.keepalive" is 10000 but metadata.rpc.keepalive is 5000/,
    );
    expectErrors(spec({ metadata: { 'rpc.keepalive': 1, rpc: 5 } }), ['metadata.rpc', 'metadata.rpc']);
  });
});

describe('unknown fields (rule 6)', () => {
  it('are kept and warned with their path, never fatal', () => {
    const input = spec({
      cloud: { computing: { instance_type: 'x' } },
      networking: {},
      labels: { a: 'b' },
      features: {},
      unit: {},
      sinker: {},
      confidential: {},
      options: {},
      meta: {},
      workspace_id: '1',
      metadata: { resource: 'eas-r-1', region: 'cn-hangzhou', custom: 1 },
      containers: [{ command: 'x', port: 8000, liveness_checks: {} }],
    });
    const r = validateSpec(input);
    expect(r.ok).toBe(true);
    const paths = r.warnings.map((w) => w.path);
    for (const p of [
      'cloud',
      'networking',
      'labels',
      'features',
      'unit',
      'sinker',
      'confidential',
      'options',
      'meta',
    ]) {
      expect(paths).toContain(p);
    }
    expect(paths).toEqual(
      expect.arrayContaining(['workspace_id', 'metadata.resource', 'metadata.region', 'metadata.custom']),
    );
    expect(warningAt(r, 'cloud')).toMatch(/is ignored by Pier on the local platform/);
    expect(warningAt(r, 'containers[0].liveness_checks')).toMatch(/did you mean liveness_check\?/);
    expect(r.spec?.cloud).toEqual({ computing: { instance_type: 'x' } });
    expect(r.spec?.metadata.custom).toBe(1);
    expect(r.spec?.containers[0].liveness_checks).toEqual({});
  });

  it('warns about fields Pier reads but ignores', () => {
    const r = validateSpec(
      spec({
        metadata: {
          gpu_memory: 8,
          gpu_core_percentage: 50,
          disk: '30Gi',
          shm_size: 1000,
          qos: 'BestEffort',
          rpc: { batching: true, max_batch_size: 8, max_batch_timeout: 10, io_threads: 4 },
        },
      }),
    );
    expect(r.ok).toBe(true);
    for (const f of ['gpu_memory', 'gpu_core_percentage', 'disk', 'shm_size', 'qos']) warningAt(r, `metadata.${f}`);
    for (const f of ['batching', 'max_batch_size', 'max_batch_timeout', 'io_threads'])
      warningAt(r, `metadata.rpc.${f}`);
    expect(warningAt(validateSpec(spec({ metadata: { type: 'Batch' } })), 'metadata.type')).toMatch(
      /not a service type/,
    );
  });
});

describe('processor-based specs (rule 7)', () => {
  const keys = [
    'processor',
    'processor_type',
    'processor_path',
    'processor_entry',
    'model_path',
    'model_entry',
    'model_config',
  ];
  it.each(keys)('%s without containers is rejected at its path with the container form', (key) => {
    const r = expectErrors({ name: 'tf', [key]: 'x', metadata: { instance: 1 } }, [key]);
    expect(messageAt(r, key)).toMatch(/built-in processor, which Pier does not support.*"containers": \[\{/);
  });
  it('with containers given, the processor fields are only warned', () => {
    const r = validateSpec(spec({ processor: 'x' }));
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    warningAt(r, 'processor');
  });
});

describe('containers', () => {
  it('needs at least one', () => {
    expectErrors({ name: 'svc' }, ['containers']);
    expectErrors({ name: 'svc', containers: [] }, ['containers']);
    expectErrors({ name: 'svc', containers: {} }, ['containers']);
  });

  it('rejects the EAS sidecar ports with a fix', () => {
    const r = expectErrors(specWith('containers[0].port', 8080), ['containers[0].port']);
    expect(messageAt(r, 'containers[0].port')).toBe(
      'port 8080 is reserved by EAS for its sidecar (8080 and 9090); use another port such as 8000',
    );
    expectErrors(specWith('containers[0].port', '9090'), ['containers[0].port']);
    expectErrors(specWith('containers[0].port', 0), ['containers[0].port']);
    expectErrors(specWith('containers[0].port', 65536), ['containers[0].port']);
    expectErrors(specWith('containers[0].port', 80.5), ['containers[0].port']);
  });

  it('needs a port on some container; the first with one serves', () => {
    expectErrors(spec({ containers: [{ command: 'a' }] }), ['containers[0].port']);
    const s = expectOk(spec({ containers: [{ command: 'side' }, { command: 'main', port: 8000 }] }));
    expect(s.containers.map((c) => c.port)).toEqual([undefined, 8000]);
    expectErrors(
      spec({
        containers: [
          { command: 'a', port: 8000 },
          { command: 'b', port: 8000 },
        ],
      }),
      ['containers[1].port'],
    );
  });

  it('takes exactly one of command and script, or neither with an image', () => {
    const r = expectErrors(spec({ containers: [{ command: 'a', script: 'b', port: 8000 }] }), ['containers[0]']);
    expect(messageAt(r, 'containers[0]')).toMatch(/both command and script/);
    expectErrors(spec({ containers: [{ port: 8000 }] }), ['containers[0]']);
    expectOk(spec({ containers: [{ image: 'nginx:1', port: 8000 }] }));
    expectOk(spec({ containers: [{ script: 'cd /app; python3 app.py', port: 8000 }] }));
    expect(
      expectOk(spec({ containers: [{ command: ['python3', 'my app.py'], port: 8000 }] })).containers[0].command,
    ).toBe("python3 'my app.py'");
    expectErrors(spec({ containers: [{ command: 5, port: 8000 }] }), ['containers[0].command']);
  });

  it('checks env names and fills env defaults', () => {
    const env = (e: unknown) => spec({ containers: [{ command: 'a', port: 8000, env: e }] });
    const s = expectOk(env([{ name: 'A.b-c_D', value: 3 }, { name: '_X' }]));
    expect(s.containers[0].env).toEqual([
      { name: 'A.b-c_D', value: '3' },
      { name: '_X', value: '' },
    ]);
    expect(expectOk(BASE).containers[0].env).toEqual([]);
    expectErrors(env([{ value: 'x' }]), ['containers[0].env[0].name']);
    expectErrors(env([{ name: 'OK' }, { name: '1BAD' }]), ['containers[0].env[1].name']);
    expectErrors(env([{ name: 'HAS SPACE' }]), ['containers[0].env[0].name']);
    expectErrors(env({ A: 'b' }), ['containers[0].env']);
    warningAt(validateSpec(env([{ name: 'A' }, { name: 'A' }])), 'containers[0].env[1].name');
  });

  it('reads prepare', () => {
    expectOk(spec({ containers: [{ command: 'a', port: 8000, prepare: { pythonRequirements: ['numpy'] } }] }));
    expectErrors(spec({ containers: [{ command: 'a', port: 8000, prepare: { pythonRequirements: 'numpy' } }] }), [
      'containers[0].prepare.pythonRequirements',
    ]);
  });
});

describe('metadata', () => {
  it('fills defaults', () => {
    const m = expectOk(BASE).metadata;
    expect(m).toEqual({
      name: 'svc',
      instance: 1,
      gpu: 0,
      enable_grpc: false,
      enable_webservice: false,
      rolling_strategy: { max_surge: '2%', max_unavailable: 0, min_ready_seconds: 0, progress_deadline_seconds: 600 },
      rpc: { keepalive: 5000, worker_threads: 5, max_queue_size: 64, enable_sigterm: false },
      eas: { termination_grace_period: 30 },
    });
  });

  it('checks counts and resources', () => {
    expect(expectOk(spec({ metadata: { instance: 0 } })).metadata.instance).toBe(0);
    for (const [field, value] of [
      ['instance', -1],
      ['instance', 1.5],
      ['cpu', -1],
      ['memory', 'lots'],
      ['gpu', 0.5],
      ['gpu', -1],
    ] as const) {
      expectErrors(spec({ metadata: { [field]: value } }), [`metadata.${field}`]);
    }
  });

  it('checks rpc and eas', () => {
    const s = expectOk(spec({ metadata: { rpc: { rate_limit: 0.5, enable_sigterm: 'true' } } }));
    expect(s.metadata.rpc).toMatchObject({ rate_limit: 0.5, enable_sigterm: true });
    for (const [field, value] of [
      ['keepalive', 0],
      ['worker_threads', 0],
      ['max_queue_size', -1],
      ['rate_limit', 0],
      ['enable_sigterm', 'yes'],
    ] as const) {
      expectErrors(spec({ metadata: { rpc: { [field]: value } } }), [`metadata.rpc.${field}`]);
    }
    expect(expectOk(spec({ metadata: { rpc: { max_queue_size: 0 } } })).metadata.rpc.max_queue_size).toBe(0);
    expectErrors(spec({ metadata: { eas: { termination_grace_period: -1 } } }), [
      'metadata.eas.termination_grace_period',
    ]);
  });

  it('checks rolling_strategy', () => {
    const rs = (v: Record<string, unknown>) => spec({ metadata: { rolling_strategy: v } });
    expect(expectOk(rs({ max_surge: '25%', max_unavailable: '1' })).metadata.rolling_strategy).toMatchObject({
      max_surge: '25%',
      max_unavailable: 1,
    });
    expectErrors(rs({ max_surge: 'many' }), ['metadata.rolling_strategy.max_surge']);
    expectErrors(rs({ max_surge: -1 }), ['metadata.rolling_strategy.max_surge']);
    expectErrors(rs({ max_unavailable: '150%' }), ['metadata.rolling_strategy.max_unavailable']);
    expectOk(rs({ max_unavailable: '100%', max_surge: '200%' }));
    const r = expectErrors(rs({ max_surge: 0, max_unavailable: '0%' }), ['metadata.rolling_strategy']);
    expect(messageAt(r, 'metadata.rolling_strategy')).toMatch(/both 0/);
    expectErrors(rs({ min_ready_seconds: 600 }), ['metadata.rolling_strategy.progress_deadline_seconds']);
    expectErrors(rs({ min_ready_seconds: -1 }), ['metadata.rolling_strategy.min_ready_seconds']);
  });
});

describe('probes', () => {
  const withProbe = (kind: string, probe: unknown) =>
    spec({ containers: [{ command: 'a', port: 8000, [kind]: probe }] });

  it('fill Kubernetes defaults; 0 means default', () => {
    const s = expectOk(
      withProbe('readiness_check', { http_get: { port: 8000 }, period_seconds: 0, failure_threshold: '0' }),
    );
    expect(s.containers[0].readiness_check).toEqual({
      http_get: { path: '/', port: 8000, scheme: 'HTTP', http_headers: [] },
      initial_delay_seconds: 0,
      period_seconds: 10,
      timeout_seconds: 1,
      success_threshold: 1,
      failure_threshold: 3,
    });
  });

  it('health_check has its own defaults (the EAS custom-image check)', () => {
    const s = expectOk(withProbe('health_check', { tcp_socket: { port: 8000 } }));
    expect(s.containers[0].health_check).toMatchObject({
      initial_delay_seconds: 3,
      period_seconds: 3,
      timeout_seconds: 1,
      success_threshold: 1,
      failure_threshold: 3,
    });
    expect(
      expectOk(withProbe('health_check', { tcp_socket: { port: 8000 }, success_threshold: 2 })).containers[0]
        .health_check?.success_threshold,
    ).toBe(2);
  });

  it('need exactly one handler', () => {
    for (const kind of ['liveness_check', 'readiness_check', 'startup_check', 'health_check']) {
      expectErrors(withProbe(kind, { period_seconds: 5 }), [`containers[0].${kind}`]);
      expectErrors(withProbe(kind, { exec: { command: ['true'] }, grpc: { port: 8000 } }), [`containers[0].${kind}`]);
    }
    expectOk(withProbe('startup_check', { grpc: { port: 8000, service: 'health' } }));
    expectErrors(withProbe('liveness_check', 'yes'), ['containers[0].liveness_check']);
  });

  it('success_threshold must be 1 for liveness and startup', () => {
    for (const kind of ['liveness_check', 'startup_check']) {
      const r = expectErrors(withProbe(kind, { tcp_socket: { port: 8000 }, success_threshold: 2 }), [
        `containers[0].${kind}.success_threshold`,
      ]);
      expect(messageAt(r, `containers[0].${kind}.success_threshold`)).toMatch(/requires 1 for liveness and startup/);
    }
    expectOk(withProbe('readiness_check', { tcp_socket: { port: 8000 }, success_threshold: 2 }));
  });

  it('take termination_grace_period_seconds only on liveness and startup', () => {
    expectOk(withProbe('liveness_check', { tcp_socket: { port: 8000 }, termination_grace_period_seconds: 5 }));
    expectErrors(withProbe('readiness_check', { tcp_socket: { port: 8000 }, termination_grace_period_seconds: 5 }), [
      'containers[0].readiness_check.termination_grace_period_seconds',
    ]);
    expectErrors(withProbe('liveness_check', { tcp_socket: { port: 8000 }, termination_grace_period_seconds: 0 }), [
      'containers[0].liveness_check.termination_grace_period_seconds',
    ]);
  });

  it('check handler fields', () => {
    const p = 'containers[0].liveness_check';
    const s = expectOk(
      withProbe('liveness_check', {
        http_get: { path: '/healthz', port: '8000', scheme: 'https', http_headers: [{ name: 'Host', value: 'x' }] },
      }),
    );
    expect(s.containers[0].liveness_check?.http_get).toEqual({
      path: '/healthz',
      port: 8000,
      scheme: 'HTTPS',
      http_headers: [{ name: 'Host', value: 'x' }],
    });
    expectErrors(withProbe('liveness_check', { http_get: { port: 9090 } }), [`${p}.http_get.port`]);
    expectErrors(withProbe('liveness_check', { http_get: { path: '/' } }), [`${p}.http_get.port`]);
    expectErrors(withProbe('liveness_check', { http_get: { port: 8000, scheme: 'FTP' } }), [`${p}.http_get.scheme`]);
    expectErrors(withProbe('liveness_check', { http_get: { port: 8000, http_headers: [{ value: 'x' }] } }), [
      `${p}.http_get.http_headers[0].name`,
    ]);
    expectErrors(withProbe('liveness_check', { tcp_socket: {} }), [`${p}.tcp_socket.port`]);
    expectErrors(withProbe('liveness_check', { exec: { command: [] } }), [`${p}.exec.command`]);
    const r = expectErrors(withProbe('liveness_check', { exec: { command: 'cat /tmp/ok' } }), [`${p}.exec.command`]);
    expect(messageAt(r, `${p}.exec.command`)).toMatch(/\["cat","\/tmp\/ok"\]/);
    expectErrors(
      withProbe('liveness_check', { tcp_socket: { port: 8000 }, period_seconds: -1, timeout_seconds: 'x' }),
      [`${p}.period_seconds`, `${p}.timeout_seconds`],
    );
  });
});

describe('storage', () => {
  const mount = (item: unknown) => spec({ storage: [item] });

  it('reads the four kinds with defaults', () => {
    const s = expectOk(
      spec({
        storage: [
          { mount_path: '/models', oss: { path: 'oss://b/m/' } },
          { mount_path: '/nfs', nfs: { server: '10.0.0.1', path: '/x', readOnly: 'true' } },
          { mount_path: '/dev/shm', empty_dir: { medium: 'Memory', size_limit: '1Gi' } },
          { mount_path: '/data', local: { path: './data' } },
        ],
      }),
    );
    expect(s.storage.map((x) => x.oss ?? x.nfs ?? x.empty_dir ?? x.local)).toEqual([
      { path: 'oss://b/m/', readOnly: false },
      { server: '10.0.0.1', path: '/x', readOnly: true },
      { medium: 'memory', size_limit: '1Gi' },
      { path: './data', readOnly: false },
    ]);
    expect(expectOk(BASE).storage).toEqual([]);
  });

  it('checks each item', () => {
    expectErrors(mount({ mount_path: '/m', oss: { path: 's3://b/' } }), ['storage[0].oss.path']);
    expectErrors(mount({ mount_path: 'models', local: { path: '/x' } }), ['storage[0].mount_path']);
    expectErrors(mount({ local: { path: '/x' } }), ['storage[0].mount_path']);
    expectErrors(mount({ mount_path: '/m' }), ['storage[0]']);
    expectErrors(mount({ mount_path: '/m', local: { path: '/x' }, empty_dir: {} }), ['storage[0]']);
    expectErrors(mount({ mount_path: '/m', nfs: { path: '/x' } }), ['storage[0].nfs.server']);
    expectErrors(mount({ mount_path: '/m', empty_dir: { medium: 'disk' } }), ['storage[0].empty_dir.medium']);
    expectErrors(mount({ mount_path: '/m', oss: { path: 'oss://b/', readOnly: 'ture' } }), ['storage[0].oss.readOnly']);
    expectErrors(
      spec({
        storage: [
          { mount_path: '/m', local: { path: '/a' } },
          { mount_path: '/m/', local: { path: '/b' } },
        ],
      }),
      ['storage[1].mount_path'],
    );
  });
});

describe('dockerAuth and token', () => {
  it('dockerAuth is base64 of user:password and never echoed', () => {
    expectOk(spec({ dockerAuth: Buffer.from('user:pa55').toString('base64') }));
    for (const bad of ['not base64!', Buffer.from('nocolon').toString('base64'), 12]) {
      const r = expectErrors(spec({ dockerAuth: bad }), ['dockerAuth']);
      expect(messageAt(r, 'dockerAuth')).not.toContain(String(bad));
    }
  });

  it('token is optional, at least 8 characters, never echoed', () => {
    expectOk(spec({ token: 'abcdefgh' }));
    const r = expectErrors(spec({ token: 'short' }), ['token']);
    expect(messageAt(r, 'token')).not.toContain('short');
  });
});

describe('autoscaler', () => {
  const auto = (a: unknown) => spec({ autoscaler: a });
  const qps = [{ metricName: 'qps', threshold: 10 }];

  it('fills behavior defaults', () => {
    expect(expectOk(auto({ min: 0, max: 3, scaleStrategies: qps })).autoscaler).toEqual({
      min: 0,
      max: 3,
      scaleStrategies: qps,
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0 },
        scaleDown: { stabilizationWindowSeconds: 300 },
        onZero: { scaleDownGracePeriodSeconds: 600, scaleUpActivationReplicas: 1 },
      },
    });
  });

  it('reads the short strategies form', () => {
    const a = expectOk(auto({ min: 1, max: 3, strategies: { qps: 10, CPU: '80' } })).autoscaler;
    expect(a?.scaleStrategies).toEqual([
      { metricName: 'qps', threshold: 10 },
      { metricName: 'cpu', threshold: 80 },
    ]);
    expect(a?.strategies).toBeUndefined();
    expectErrors(auto({ min: 1, max: 3, strategies: { rps: 10 } }), ['autoscaler.strategies.rps']);
    expectErrors(auto({ min: 1, max: 3, strategies: { qps: 0 } }), ['autoscaler.strategies.qps']);
    expectErrors(auto({ min: 1, max: 3, strategies: { qps: 1 }, scaleStrategies: qps }), ['autoscaler.strategies']);
  });

  it('checks bounds and metrics', () => {
    expectErrors(auto({ min: 3, max: 2, scaleStrategies: qps }), ['autoscaler.max']);
    expectErrors(auto({ min: 0, max: 0, scaleStrategies: qps }), ['autoscaler.max']);
    expectErrors(auto({ min: -1, max: 2, scaleStrategies: qps }), ['autoscaler.min']);
    expectErrors(auto({ max: 2, scaleStrategies: qps }), ['autoscaler.min']);
    expectErrors(auto({ min: 1, max: 2 }), ['autoscaler.scaleStrategies']);
    expectErrors(auto({ min: 1, max: 2, scaleStrategies: [] }), ['autoscaler.scaleStrategies']);
    expectErrors(auto({ min: 1, max: 2, scaleStrategies: [{ metricName: 'rps', threshold: 1 }] }), [
      'autoscaler.scaleStrategies[0].metricName',
    ]);
    expectErrors(auto({ min: 1, max: 2, scaleStrategies: [{ metricName: 'qps', threshold: 0 }] }), [
      'autoscaler.scaleStrategies[0].threshold',
    ]);
    expectErrors(auto({ min: 1, max: 2, scaleStrategies: [...qps, ...qps] }), [
      'autoscaler.scaleStrategies[1].metricName',
    ]);
    expectErrors(
      auto({ min: 1, max: 2, scaleStrategies: qps, behavior: { scaleDown: { stabilizationWindowSeconds: 4000 } } }),
      ['autoscaler.behavior.scaleDown.stabilizationWindowSeconds'],
    );
    expectErrors(
      auto({ min: 1, max: 2, scaleStrategies: qps, behavior: { onZero: { scaleUpActivationReplicas: 0 } } }),
      ['autoscaler.behavior.onZero.scaleUpActivationReplicas'],
    );
    for (const m of ['qps', 'qps1k', 'cpu', 'concurrency', 'gpu']) {
      expectOk(auto({ min: 1, max: 2, scaleStrategies: [{ metricName: m, threshold: 1 }] }));
    }
  });

  it('takes queue[avgbacklog] for asynchronous services only, with the path of the metric', () => {
    const backlog = [{ metricName: 'queue[avgbacklog]', threshold: 10 }];
    const asyncSpec = (a: unknown) => spec({ metadata: { type: 'Async' }, autoscaler: a });
    expect(expectOk(asyncSpec({ min: 0, max: 4, scaleStrategies: backlog })).autoscaler?.scaleStrategies).toEqual(
      backlog,
    );
    expect(
      expectOk(asyncSpec({ min: 0, max: 4, strategies: { 'queue[avgbacklog]': 10 } })).autoscaler?.scaleStrategies,
    ).toEqual(backlog);
    const r = expectErrors(auto({ min: 0, max: 4, scaleStrategies: [...qps, ...backlog] }), [
      'autoscaler.scaleStrategies[1].metricName',
    ]);
    expect(messageAt(r, 'autoscaler.scaleStrategies[1].metricName')).toMatch(/metadata\.type to "Async"/);
    expectErrors(auto({ min: 0, max: 4, strategies: { 'queue[avgbacklog]': 10 } }), [
      'autoscaler.strategies.queue[avgbacklog]',
    ]);
  });
});

describe('cronscaler', () => {
  const cron = (jobs: unknown, extra: Record<string, unknown> = {}) =>
    spec({ cronscaler: { scaleJobs: jobs, ...extra } });
  const job = (schedule: string, targetSize: unknown = 2) => ({ name: 'j', schedule, targetSize });

  it('accepts 5-field schedules', () => {
    for (const s of ['0 8 * * *', '*/15 0-23/2 1,15 JAN-jun mon-fri', '59 23 31 12 7', '@daily']) {
      expectOk(cron([job(s)], { excludeDates: ['0 0 1 1 *'] }));
    }
  });

  it('rejects bad schedules, sizes and names', () => {
    const at = 'cronscaler.scaleJobs[0].schedule';
    for (const s of [
      '0 8 * *',
      '0 0 8 * * *',
      '60 * * * *',
      '* 24 * * *',
      '* * 0 * *',
      '* * * 13 *',
      '* * * * 8',
      '5-1 * * * *',
      '*/0 * * * *',
      'a * * * *',
    ]) {
      expectErrors(cron([job(s)]), [at]);
    }
    expectErrors(cron([job('0 8 * * *', -1)]), ['cronscaler.scaleJobs[0].targetSize']);
    expectErrors(cron([{ schedule: '0 8 * * *', targetSize: 1 }]), ['cronscaler.scaleJobs[0].name']);
    expectErrors(cron([job('0 8 * * *'), job('0 9 * * *')]), ['cronscaler.scaleJobs[1].name']);
    expectErrors(cron([]), ['cronscaler.scaleJobs']);
    expectErrors(cron([job('0 8 * * *')], { excludeDates: 'x' }), ['cronscaler.excludeDates']);
  });
});

describe('all errors at once', () => {
  it('a spec with ten mistakes yields ten errors', () => {
    const r = validateSpec({
      name: 'bad-name',
      metadata: { instance: -2, enable_grpc: 'ture', rpc: { keepalive: 0 } },
      containers: [
        {
          command: 'a',
          script: 'b',
          port: 9090,
          env: [{ value: 'no name' }],
          liveness_check: { http_get: { port: 8000 }, success_threshold: 3 },
          readiness_check: {},
        },
      ],
      storage: [{ mount_path: 'rel', local: { path: '/x' } }],
    });
    expect(r.errors.map((e) => e.path).sort()).toEqual(
      [
        'name',
        'metadata.instance',
        'metadata.enable_grpc',
        'metadata.rpc.keepalive',
        'containers[0]',
        'containers[0].port',
        'containers[0].env[0].name',
        'containers[0].liveness_check.success_threshold',
        'containers[0].readiness_check',
        'storage[0].mount_path',
      ].sort(),
    );
    expect(r.errors).toHaveLength(10);
    for (const e of r.errors) expect(e.message.length).toBeGreaterThan(20);
  });
});

describe('metadata.group (issue 17)', () => {
  it('takes a group name without a warning', () => {
    const s = expectOk(spec({ metadata: { group: 'llm' } }));
    expect(s.metadata.group).toBe('llm');
    expect(validateSpec(spec({ metadata: { group: 'llm' } })).warnings.map((w) => w.path)).not.toContain(
      'metadata.group',
    );
  });

  it('refuses a name the gateway could not route as /api/predict/<group>', () => {
    for (const bad of ['my-group', 'a.b', '1st', 'with space']) {
      expect(messageAt(validateSpec(spec({ metadata: { group: bad } })), 'metadata.group')).toMatch(
        /not a valid group name/,
      );
    }
  });
});
