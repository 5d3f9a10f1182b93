import { describe, expect, it } from 'vitest';
import { PierError } from '../errors.js';
import type { ServiceSpec } from '../spec/index.js';
import { createRuntimeSelector } from './select.js';
import type { InstanceRuntime } from './types.js';

const fake = (kind: 'process' | 'container'): InstanceRuntime => ({
  kind,
  unsupportedReason: () => null,
  start: async () => {
    throw new Error(`started on ${kind}`);
  },
  adopt: async () => null,
});

const spec = (container: Record<string, unknown>) =>
  ({ containers: [{ port: 8000, env: [], ...container }] }) as unknown as ServiceSpec;
const processRuntime = fake('process');
const containerRuntime = fake('container');

describe('createRuntimeSelector', () => {
  it.each([
    ['auto', true, { command: 'python3 app.py' }, 'process'],
    ['auto', true, { image: 'img:1' }, 'container'],
    ['auto', true, { image: 'img:1', command: 'python3 app.py' }, 'container'],
    ['auto', false, { image: 'img:1', command: 'python3 app.py' }, null],
    ['process', false, { image: 'img:1', command: 'python3 app.py' }, 'process'],
    ['container', true, { command: 'python3 app.py' }, 'container'],
    ['container', false, { command: 'python3 app.py' }, null],
  ] as const)('choice %s, engine %s, %o → %s', (choice, engine, container, want) => {
    const s = createRuntimeSelector({
      process: processRuntime,
      ...(engine ? { container: containerRuntime } : {}),
      choice,
    });
    expect(s.kindFor(spec(container))).toBe(want);
    if (want === null) expect(s.unsupportedReason(spec(container))).toMatch(/podman|container/);
    else expect(s.unsupportedReason(spec(container))).toBeNull();
  });

  it('refuses an image without an engine, saying how to enable one', async () => {
    const s = createRuntimeSelector({ process: processRuntime, choice: 'auto' });
    const reason = s.unsupportedReason(spec({ image: 'img:1', command: 'python3 app.py' }));
    expect(reason).toContain('apt-get install podman');
    expect(reason).toContain('--runtime process');
    await expect(s.start({ spec: spec({ image: 'img:1' }) } as never)).rejects.toBeInstanceOf(PierError);
  });

  it('adopts with the runtime that started the instance', async () => {
    const calls: string[] = [];
    const tracking = (kind: 'process' | 'container'): InstanceRuntime => ({
      ...fake(kind),
      adopt: async () => {
        calls.push(kind);
        return null;
      },
    });
    const s = createRuntimeSelector({ process: tracking('process'), container: tracking('container'), choice: 'auto' });
    await s.adopt({ runtime: 'container', instanceId: 'a', pid: 0, port: 1, startedAt: 0, logDir: '/x' });
    await s.adopt({ runtime: 'process', instanceId: 'b', pid: 1, port: 1, startedAt: 0, logDir: '/x' });
    expect(calls).toEqual(['container', 'process']);
  });
});
