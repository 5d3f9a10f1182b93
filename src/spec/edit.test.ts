import { describe, expect, it } from 'vitest';
import {
  diffSpecs,
  dnsLabel,
  isScaleOnlyChange,
  mergeSpec,
  parseSetValue,
  redactSpec,
  resolveRollingStrategy,
  type ServiceSpec,
  servingContainer,
  setPath,
  summarizeChange,
} from './index.js';
import { BASE, expectOk, spec } from '../../test/support/spec.js';

const valid = (patch: Record<string, unknown> = {}): ServiceSpec => expectOk(spec(patch));

describe('mergeSpec', () => {
  it('merges objects by key, replaces lists, removes on null, and leaves inputs alone', () => {
    const base = { a: { b: 1, c: 2 }, list: [1, 2], keep: 'x' };
    const merged = mergeSpec(base, { a: { c: 3, d: 4 }, list: [9], keep: null });
    expect(merged).toEqual({ a: { b: 1, c: 3, d: 4 }, list: [9] });
    expect(base).toEqual({ a: { b: 1, c: 2 }, list: [1, 2], keep: 'x' });
  });

  it('treats dotted metadata keys as nesting, so a patch does not clash', () => {
    const merged = mergeSpec(valid(), { metadata: { 'rpc.keepalive': 10000 } });
    expect(expectOk(merged).metadata.rpc.keepalive).toBe(10000);
  });
});

describe('setPath and parseSetValue', () => {
  it('sets by dotted path in a copy', () => {
    const next = setPath(BASE, 'containers[0].port', 9000) as typeof BASE;
    expect(next.containers[0].port).toBe(9000);
    expect(BASE.containers[0].port).toBe(8000);
    expect(setPath(BASE, 'metadata.rpc.keepalive', 10000)).toMatchObject({ metadata: { rpc: { keepalive: 10000 } } });
    expect(setPath({}, 'a[0].b', 1)).toEqual({ a: [{ b: 1 }] });
  });

  it('replaces a dotted key naming the same field', () => {
    const next = setPath({ metadata: { 'rpc.keepalive': 1 } }, 'metadata.rpc.keepalive', 2);
    expect(next).toEqual({ metadata: { rpc: { keepalive: 2 } } });
  });

  it('refuses paths it cannot follow', () => {
    expect(() => setPath(BASE, 'name.first', 1)).toThrow(/name holds "svc"/);
    expect(() => setPath(BASE, 'containers[5].port', 1)).toThrow(/outside the list/);
    expect(() => setPath(BASE, 'a..b', 1)).toThrow(/not valid/);
  });

  it('reads values as JSON where they parse', () => {
    expect([parseSetValue('3'), parseSetValue('true'), parseSetValue('{"a":1}'), parseSetValue('"3"')]).toEqual([
      3,
      true,
      { a: 1 },
      '3',
    ]);
    expect(parseSetValue('python3 app.py')).toBe('python3 app.py');
  });
});

describe('redactSpec', () => {
  it('hides dockerAuth and token', () => {
    const s = valid({ dockerAuth: Buffer.from('u:p').toString('base64'), token: 'secret-token' });
    const r = redactSpec(s);
    expect([r.dockerAuth, r.token]).toEqual(['***', '***']);
    expect(s.token).toBe('secret-token');
    expect(redactSpec(valid()).token).toBeUndefined();
  });
});

describe('diffs', () => {
  it('lists leaf changes in spec order', () => {
    const a = valid();
    const b = valid({
      containers: [{ command: 'b', port: 8000, env: [{ name: 'X', value: '1' }] }],
      metadata: { cpu: 2 },
    });
    expect(diffSpecs(a, b)).toEqual([
      { path: 'metadata.cpu', from: undefined, to: 2 },
      { path: 'containers[0].command', from: 'python3 app.py', to: 'b' },
      { path: 'containers[0].env[0]', from: undefined, to: { name: 'X', value: '1' } },
    ]);
    expect(diffSpecs(a, valid())).toEqual([]);
  });

  it('summarizes in one line', () => {
    const a = valid({ metadata: { cpu: 1 } });
    expect(summarizeChange(undefined, a)).toBe('initial');
    expect(summarizeChange(a, a)).toBe('no change');
    expect(summarizeChange(a, valid({ metadata: { cpu: 2 } }))).toBe('metadata.cpu: 1 → 2');
    const many = valid({
      metadata: { cpu: 2, memory: 100, gpu: 1, instance: 3, enable_grpc: true, rpc: { keepalive: 1 } },
    });
    expect(summarizeChange(a, many)).toBe(
      'metadata.instance: 1 → 3; metadata.cpu: 1 → 2; metadata.gpu: 0 → 1; … and 3 more',
    );
    expect(summarizeChange(valid({ token: 'aaaaaaaa' }), valid({ token: 'bbbbbbbb' }))).toBe('token: *** → ***');
  });

  it('knows a scale-only change', () => {
    const a = valid();
    expect(isScaleOnlyChange(a, valid({ metadata: { instance: 4 } }))).toBe(true);
    expect(isScaleOnlyChange(a, valid({ metadata: { instance: 4, cpu: 1 } }))).toBe(false);
    expect(isScaleOnlyChange(a, valid())).toBe(false);
  });
});

describe('resolveRollingStrategy (Deployment maxSurge/maxUnavailable rounding)', () => {
  const rs = (max_surge: number | string, max_unavailable: number | string) => ({
    max_surge,
    max_unavailable,
    min_ready_seconds: 0,
    progress_deadline_seconds: 600,
  });
  it.each([
    [rs('25%', '25%'), 10, 3, 2],
    [rs('25%', '25%'), 1, 1, 0],
    [rs('0%', '25%'), 3, 0, 1],
    [rs('2%', 0), 1, 1, 0],
    [rs('2%', 0), 60, 2, 0],
    [rs(2, 5), 3, 2, 3],
    [rs(0, '100%'), 0, 0, 0],
  ])('%o with %i desired → surge %i, unavailable %i', (strategy, desired, surge, unavailable) => {
    expect(resolveRollingStrategy(strategy, desired)).toEqual({ maxSurge: surge, maxUnavailable: unavailable });
  });
  it('defaults to 2% surge, at least 1, and no unavailable', () => {
    expect(resolveRollingStrategy(valid().metadata.rolling_strategy, 5)).toEqual({ maxSurge: 1, maxUnavailable: 0 });
  });
});

describe('names and the serving container', () => {
  it('dnsLabel', () => {
    expect(dnsLabel('My_Svc_1')).toBe('my-svc-1');
  });
  it('servingContainer is the first with a port', () => {
    const s = valid({ containers: [{ command: 'side' }, { command: 'main', port: 8001 }] });
    expect(servingContainer(s).command).toBe('main');
  });
});
