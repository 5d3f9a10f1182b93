/**
 * Test fixture: a stand-in Pier process that starts one instance, prints its adopt
 * record as a JSON line and waits to be killed (process-runtime.test.ts kills it
 * with SIGKILL to check that the instance outlives Pier and can be adopted).
 * Run: node --import tsx crash-fixture.ts <dir>
 */

import { join } from 'node:path';
import { createProcessRuntime } from '../../src/runtime/process-runtime.js';
import { makeSpec } from './runtime.js';

const dir = process.argv[2];
const runtime = createProcessRuntime();
const logDir = join(dir, 'logs');
const instance = await runtime.start({
  service: 'svc',
  revision: 1,
  instanceId: 'crash-1',
  spec: makeSpec([{ script: 'echo started; exec sleep 1000', port: 8000 }, { script: 'exec sleep 1000' }]),
  logDir,
  workDir: join(dir, 'work'),
});
const record = {
  instanceId: instance.instanceId,
  pid: instance.pid,
  port: instance.port,
  startedAt: instance.startedAt,
  logDir,
};
process.stdout.write(`${JSON.stringify(record)}\n`);
setInterval(() => {}, 1000);
