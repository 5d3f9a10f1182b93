/** Issue 12, defect 11: instance logs were 0644; they hold whatever the app prints. */
import { chmodSync, closeSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendPierLine, logFilePath, openLogForAppend, rotateLogIfNeeded } from './logs.js';
import { tempDir } from '../../test/support/runtime.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
const mode = (p: string) => statSync(p).mode & 0o777;

describe('instance log permissions (issue 12, defect 11)', () => {
  it('creates the log directory (and its parents) 0700 and the log 0600', () => {
    const root = tempDir();
    dirs.push(root);
    const logDir = join(root.path, 'logs', 'svc', 'svc-1-abc');
    closeSync(openLogForAppend(logDir));
    appendPierLine(logDir, 'hello');
    expect(mode(logDir)).toBe(0o700);
    expect(mode(join(root.path, 'logs', 'svc'))).toBe(0o700);
    expect(mode(logFilePath(logDir))).toBe(0o600);
  });

  it('tightens a log an older Pier left 0644, and rotated copies are 0600 too', () => {
    const root = tempDir();
    dirs.push(root);
    const logDir = join(root.path, 'old');
    mkdirSync(logDir, { mode: 0o755 });
    chmodSync(logDir, 0o755);
    writeFileSync(logFilePath(logDir), 'x'.repeat(100), { mode: 0o644 });
    chmodSync(logFilePath(logDir), 0o644);
    closeSync(openLogForAppend(logDir));
    expect(mode(logDir)).toBe(0o700);
    expect(mode(logFilePath(logDir))).toBe(0o600);
    expect(rotateLogIfNeeded(logDir, 10, 2)).toBe(true);
    expect(mode(`${logFilePath(logDir)}.1`)).toBe(0o600);
  });
});
