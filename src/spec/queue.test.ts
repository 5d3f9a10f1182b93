import { describe, expect, it } from 'vitest';
import { isAsyncService, validateSpec } from './index.js';
import { expectErrors, expectOk, messageAt, spec } from '../../test/support/spec.js';

describe('asynchronous services (metadata.type "Async", issue 16)', () => {
  it('accepts Async without a warning and fills the queue defaults', () => {
    const r = validateSpec(spec({ metadata: { type: 'Async', rpc: { proxy_path: '/predict' } }, queue: {} }));
    expect(r.ok).toBe(true);
    expect(r.warnings.map((w) => w.path)).toEqual([]);
    expect(r.spec?.metadata.rpc.proxy_path).toBe('/predict');
    expect(r.spec?.queue).toEqual({
      source: { max_length: 10_000, max_payload_size_kb: 8192, auto_evict: false, max_delivery: 5 },
      sink: { max_length: 10_000, max_payload_size_kb: 8192, auto_evict: false },
    });
    expect(isAsyncService(r.spec!)).toBe(true);
    expect(isAsyncService(expectOk(spec({ metadata: { type: 'async' } })))).toBe(true);
    expect(isAsyncService(expectOk(spec({})))).toBe(false);
  });

  it('checks queue limits and proxy_path with their paths', () => {
    const r = expectErrors(
      spec({
        metadata: { type: 'Async', rpc: { proxy_path: 'predict' } },
        queue: { source: { max_length: 0, max_delivery: 1000 }, sink: { max_payload_size_kb: 'big' } },
      }),
      [
        'metadata.rpc.proxy_path',
        'queue.source.max_length',
        'queue.source.max_delivery',
        'queue.sink.max_payload_size_kb',
      ],
    );
    expect(messageAt(r, 'metadata.rpc.proxy_path')).toMatch(/must start with "\/"/);
    expect(messageAt(r, 'queue.source.max_length')).toMatch(/from 1 to 10000000/);
    expectErrors(spec({ metadata: { rpc: { proxy_path: '/a/../b' } } }), ['metadata.rpc.proxy_path']);
  });

  it('warns about unknown queue fields and a queue block on a synchronous service', () => {
    const r = validateSpec(spec({ metadata: { type: 'Async' }, queue: { source: { max_lenght: 5 } } }));
    expect(r.warnings.map((w) => w.path)).toEqual(['queue.source.max_lenght']);
    const sync = validateSpec(spec({ queue: {} }));
    expect(sync.warnings.map((w) => w.path)).toEqual(['queue']);
  });
});
