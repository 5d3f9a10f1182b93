/** Reading an API InstanceView's local-platform details in tests that signal or inspect its process. */

import type { InstanceView } from '../../src/api/index.js';

/** The instance's process (group) id; throws when the view has none (not local, not started). */
export function pidOf(i: InstanceView): number {
  const pid = i.platform?.kind === 'local' ? i.platform.pid : undefined;
  if (pid === undefined) throw new Error(`instance ${i.id} has no local pid: ${JSON.stringify(i.platform)}`);
  return pid;
}
