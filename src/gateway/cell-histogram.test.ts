import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellHistogram } from './cell-histogram.js';

const BOUNDS = [0.005, 0.01, 0.1, 1];
const OBSERVED = [0.001, 0.005, 0.0051, 0.5, 7, 0.02];

/** prom-client's Histogram with the same observations, for the reference text. */
async function reference(): Promise<{ registry: Registry; text: string }> {
  const registry = new Registry();
  const h = new Histogram({
    name: 'h_seconds',
    help: 'help.',
    labelNames: ['service', 'class'],
    buckets: BOUNDS,
    registers: [registry],
  });
  const child = h.labels('svc', '2xx');
  for (const v of OBSERVED) child.observe(v);
  h.labels('svc', '5xx').observe(0.2);
  return { registry, text: await registry.metrics() };
}

function cells(): Registry {
  const registry = new Registry();
  const h = new CellHistogram('h_seconds', 'help.', BOUNDS, registry);
  const ok = h.child({ service: 'svc', class: '2xx' });
  h.child({ service: 'svc', class: '3xx' }); // never observed: no series, as prom-client
  const bad = h.child({ service: 'svc', class: '5xx' });
  for (const v of OBSERVED) ok.observe(v);
  bad.observe(0.2);
  return registry;
}

describe('CellHistogram', () => {
  it("exposes the same text as prom-client's Histogram", async () => {
    expect(await cells().metrics()).toBe((await reference()).text);
  });

  it('merges across threads like a prom-client histogram (AggregatorRegistry)', async () => {
    const parts = [await cells().getMetricsAsJSON(), await cells().getMetricsAsJSON()];
    const ref = (await reference()).registry;
    const merged = AggregatorRegistry.aggregate([await ref.getMetricsAsJSON(), await ref.getMetricsAsJSON()]);
    expect(await AggregatorRegistry.aggregate(parts).metrics()).toBe(await merged.metrics());
  });
});
