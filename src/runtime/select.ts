/**
 * Picks the runtime for each spec: images go to the container runtime when one
 * answers; command/script-only specs run as processes. An image with no
 * container runtime is refused with how to enable one, unless the process
 * runtime was chosen explicitly and the spec has a command or script to run on
 * the host (containers[].image in the EAS service parameters,
 * https://www.alibabacloud.com/help/en/pai/user-guide/parameters-of-model-services).
 */

import { PierError } from '../errors.js';
import type { ServiceSpec } from '../spec/index.js';
import type { AdoptRecord, InstanceRuntime, RunningInstance, StartRequest } from './types.js';

export type RuntimeChoice = 'auto' | 'process' | 'container';

export interface RuntimeSelectorOptions {
  process: InstanceRuntime;
  /** Present when a container engine answered at start-up. */
  container?: InstanceRuntime;
  /** `--runtime`: auto (default), or one runtime for every spec. */
  choice: RuntimeChoice;
}

export interface RuntimeSelector extends InstanceRuntime {
  /** Which runtime runs `spec`, or null with `unsupportedReason`. */
  kindFor(spec: ServiceSpec): 'process' | 'container' | null;
}

export function createRuntimeSelector(opts: RuntimeSelectorOptions): RuntimeSelector {
  const pick = (spec: ServiceSpec): { runtime?: InstanceRuntime; reason?: string } => {
    const serving = spec.containers.find((c) => c.port !== undefined) ?? spec.containers[0];
    const image = serving?.image;
    const hostCommand = Boolean(serving?.command || serving?.script);
    if (opts.choice === 'process') return { runtime: opts.process };
    if (opts.choice === 'container') {
      return opts.container
        ? { runtime: opts.container }
        : {
            reason:
              'Pier was started with --runtime container, but no container engine answered (install podman: apt-get install podman runc)',
          };
    }
    if (!image) return { runtime: opts.process };
    if (opts.container) return { runtime: opts.container };
    return {
      reason:
        `containers[0].image "${image}" needs a container runtime, and none answered on this machine. ` +
        'Install podman (apt-get install podman runc) and restart Pier' +
        (hostCommand ? ', or run the command on the host with "pier server --runtime process"' : ''),
    };
  };

  const byKind = (kind: string | undefined): InstanceRuntime | undefined =>
    kind === 'container' ? opts.container : kind === 'process' ? opts.process : undefined;

  return {
    kind: 'process',
    kindFor(spec) {
      return (pick(spec).runtime?.kind as 'process' | 'container' | undefined) ?? null;
    },
    unsupportedReason(spec) {
      const { runtime, reason } = pick(spec);
      return runtime ? runtime.unsupportedReason(spec) : (reason ?? null);
    },
    async start(req: StartRequest): Promise<RunningInstance> {
      const { runtime, reason } = pick(req.spec);
      if (!runtime) throw new PierError('RUNTIME_UNSUPPORTED', reason ?? 'no runtime can run this spec');
      return runtime.start(req);
    },
    async adopt(record: AdoptRecord): Promise<RunningInstance | null> {
      const runtime = byKind(record.runtime) ?? opts.process;
      return runtime.adopt(record);
    },
  };
}
