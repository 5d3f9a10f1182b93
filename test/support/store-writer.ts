/**
 * A writer for the durability test: writes to the store in a tight loop and
 * prints one ack line to stdout after each write returned (i.e. committed). The
 * test kills it with SIGKILL mid-stream and checks every acked write is there.
 *
 *   node --import tsx test/support/store-writer.ts <home> <prefix>
 *
 * Ack lines:  S <service> | R <service> <revision> | E <service> <eventId> <message>
 *             U <service> <desiredInstances> | K <key> <value>
 */

import { writeSync } from 'node:fs';
import { generateToken, openStore } from '../../src/store/index.js';
import { sampleSpec } from './store.js';

const [home, prefix] = process.argv.slice(2);
if (!home || !prefix) {
  process.stderr.write('usage: writer.ts <home> <prefix>\n');
  process.exit(2);
}

// writeSync: the ack is in the pipe before the next write starts.
const ack = (line: string) => writeSync(1, `${line}\n`);

const store = openStore({ home });
// Bounded, so a test that fails to kill it does not leave it running.
const deadline = Date.now() + 60_000;
for (let i = 0; Date.now() < deadline; i++) {
  const name = `${prefix}-s${i}`;
  store.createService({
    name,
    token: generateToken(),
    spec: sampleSpec(name, 'v1'),
    desiredInstances: 1,
    summary: 'initial',
  });
  ack(`S ${name}`);
  for (let r = 2; r <= 3; r++) {
    const rev = store.addRevision(name, sampleSpec(name, `v${r}`), `image: v${r}`);
    ack(`R ${name} ${rev.number}`);
  }
  for (let k = 1; k <= 4; k++) {
    const message = `tick-${k}`;
    const e = store.appendEvent({ service: name, type: 'Normal', reason: 'Tick', message });
    ack(`E ${name} ${e.id} ${message}`);
    store.updateService(name, { desiredInstances: k + 1 });
    ack(`U ${name} ${k + 1}`);
  }
  store.setSetting(`last-${prefix}`, String(i));
  ack(`K last-${prefix} ${i}`);
}
store.close();
