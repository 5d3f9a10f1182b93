/**
 * Container state and listings, read from the engine (same fields in podman and docker).
 */

import type { Engine } from './engine.js';

export interface ContainerStatus {
  running: boolean;
  exitCode: number;
  oomKilled: boolean;
  pid: number;
  startedAt: number;
  finishedAt: number;
  error: string;
}

/** The container's state, or null when it does not exist (or the engine does not answer). */
export async function inspectContainer(engine: Engine, id: string): Promise<ContainerStatus | null> {
  const r = await engine.run(['inspect', '--type', 'container', '--format', '{{json .State}}', id]);
  if (r.code !== 0) return null;
  try {
    const s = JSON.parse(r.stdout) as Record<string, unknown>;
    return {
      running: s.Running === true,
      exitCode: Number(s.ExitCode ?? 0),
      oomKilled: s.OOMKilled === true,
      pid: Number(s.Pid ?? 0),
      startedAt: parseTime(s.StartedAt),
      finishedAt: parseTime(s.FinishedAt),
      error: typeof s.Error === 'string' ? s.Error : '',
    };
  } catch {
    return null;
  }
}

function parseTime(value: unknown): number {
  if (typeof value !== 'string') return 0;
  // podman: "2024-01-02 03:04:05.123456789 +0000 UTC"; docker: RFC 3339.
  const iso = value.replace(/^(\S+) (\S+?)(\.\d+)? ([+-]\d\d)(\d\d).*$/, '$1T$2$3$4:$5');
  const ms = Date.parse(iso.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(ms) || ms < 0 ? 0 : ms;
}

export interface ManagedContainer {
  id: string;
  instanceId: string;
  /** `containers[i]` index from the label. */
  index: number;
  /** Container port of the serving container (label `pier.port`), else undefined. */
  port?: number;
  running: boolean;
}

/** Containers Pier labelled, optionally for one instance only. */
export async function listManaged(engine: Engine, instanceId?: string): Promise<ManagedContainer[] | null> {
  const label = (k: string) => (engine.kind === 'podman' ? `{{index .Labels "${k}"}}` : `{{.Label "${k}"}}`);
  const format = ['{{.ID}}', label('pier.instance'), label('pier.container'), label('pier.port'), '{{.State}}'].join(
    '\t',
  );
  const filter = instanceId ? `label=pier.instance=${instanceId}` : 'label=pier.managed=true';
  const r = await engine.run(['ps', '-a', '--no-trunc', '--filter', filter, '--format', format]);
  if (r.code !== 0) return null;
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const [id, inst, index, port, state] = line.split('\t');
      return {
        id,
        instanceId: inst,
        index: Number(index),
        port: port && port !== '<no value>' ? Number(port) : undefined,
        running: state.trim().toLowerCase().startsWith('running') || state.trim().toLowerCase().startsWith('up'),
      };
    });
}

/** The host port the container's `port/tcp` is published on, or null. */
export async function publishedPort(engine: Engine, id: string, port: number): Promise<number | null> {
  const r = await engine.run(['port', id, `${port}/tcp`]);
  if (r.code !== 0) return null;
  const m = /:(\d+)\s*$/m.exec(r.stdout.trim().split('\n')[0] ?? '');
  return m ? Number(m[1]) : null;
}
