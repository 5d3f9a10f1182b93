/** Whether a spec can run on Kubernetes at all; the reasons name the field to change. */

import { splitCommand } from '../../../runtime/index.js';
import type { ServiceSpec } from '../../../spec/index.js';

/** A user-facing reason `spec` cannot run on Kubernetes, or null. */
export function kubernetesUnsupported(spec: ServiceSpec): string | null {
  if (!spec.containers.some((c) => typeof c.port === 'number')) {
    return 'no container has a "port", so a pod would serve nothing; give the serving container a port (e.g. "port": 8000)';
  }
  for (const [i, c] of spec.containers.entries()) {
    if (!c.image && !c.command && !c.script) {
      return `containers[${i}] has no image, command or script, so there is nothing to run; give it an "image" or a "command"`;
    }
    // The same rule as the other platforms: operators need `script` (run by /bin/sh).
    if (c.command) {
      const split = splitCommand(c.command, { PORT: '0' });
      if (!split.ok) return `containers[${i}]: ${split.message}`;
    }
  }
  return null;
}
