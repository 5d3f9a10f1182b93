import { appendFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followLog, logFilePath, readLogTail, rotateLogIfNeeded } from './logs.js';
import { tempDir } from '../../test/support/runtime.js';
import { waitFor } from '../../test/support/wait.js';

const dirs: { remove: () => void }[] = [];
const newDir = () => {
  const d = tempDir('pier-logs-');
  dirs.push(d);
  return d.path;
};
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

// followLog's calls to stat are counted so a test can tell when it has fixed its start offset.
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  return { ...fsp, stat: vi.fn(fsp.stat) };
});

describe('rotateLogIfNeeded', () => {
  it('copies the live file to .1, shifts older files and truncates, keeping only N', () => {
    const dir = newDir();
    const live = logFilePath(dir);
    for (const round of ['a', 'b', 'c', 'd']) {
      writeFileSync(live, `${round.repeat(20)}\n`);
      expect(rotateLogIfNeeded(dir, 10, 2)).toBe(true);
      expect(statSync(live).size).toBe(0);
    }
    expect(readFileSync(`${live}.1`, 'utf8')).toBe(`${'d'.repeat(20)}\n`);
    expect(readFileSync(`${live}.2`, 'utf8')).toBe(`${'c'.repeat(20)}\n`);
    expect(existsSync(`${live}.3`)).toBe(false);
  });

  it('leaves a small file alone and tolerates a missing one', () => {
    const dir = newDir();
    expect(rotateLogIfNeeded(dir, 10, 2)).toBe(false);
    writeFileSync(logFilePath(dir), 'short\n');
    expect(rotateLogIfNeeded(dir, 10, 2)).toBe(false);
    expect(existsSync(`${logFilePath(dir)}.1`)).toBe(false);
  });
});

describe('readLogTail', () => {
  it('returns the last N lines', async () => {
    const dir = newDir();
    writeFileSync(logFilePath(dir), Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    expect(await readLogTail(dir, 3)).toBe('line 97\nline 98\nline 99\n');
    expect(await readLogTail(dir, 0)).toBe('');
  });

  it('keeps a last line without newline and reads long files in chunks', async () => {
    const dir = newDir();
    const long = 'x'.repeat(100_000);
    writeFileSync(logFilePath(dir), `${long}\n${long}\nend`);
    expect(await readLogTail(dir, 2)).toBe(`${long}\nend`);
  });

  it('reaches into the rotated file right after a rotation', async () => {
    const dir = newDir();
    writeFileSync(logFilePath(dir), 'old 1\nold 2\nold 3\n');
    rotateLogIfNeeded(dir, 1, 3);
    appendFileSync(logFilePath(dir), 'new 1\n');
    expect(await readLogTail(dir, 3)).toBe('old 2\nold 3\nnew 1\n');
  });

  it('is empty when there is no log', async () => {
    expect(await readLogTail(newDir(), 5)).toBe('');
  });
});

describe('followLog', () => {
  it('streams appended text, across a rotation, until aborted', async () => {
    const dir = newDir();
    const live = logFilePath(dir);
    writeFileSync(live, 'before\n');
    let seen = '';
    const abort = new AbortController();
    const done = followLog(dir, (t) => (seen += t), abort.signal, { pollMs: 20 });
    await waitFor(() => seen === 'before\n', { what: 'initial content', timeoutMs: 5000 });
    appendFileSync(live, 'one\n');
    await waitFor(() => seen.endsWith('one\n'), { what: 'appended line', timeoutMs: 5000 });
    // Unseen text at rotation time is read from .1.
    appendFileSync(live, 'two\n');
    rotateLogIfNeeded(dir, 1, 3);
    appendFileSync(live, 'three\n');
    await waitFor(() => seen.endsWith('three\n'), { what: 'line after rotation', timeoutMs: 5000 });
    expect(seen).toBe('before\none\ntwo\nthree\n');
    abort.abort();
    await done;
  });

  it('starts at the end with fromEnd, and survives a plain truncate', async () => {
    const dir = newDir();
    const live = logFilePath(dir);
    writeFileSync(live, 'old\n');
    let seen = '';
    const abort = new AbortController();
    const statsBefore = vi.mocked(stat).mock.calls.length;
    const done = followLog(dir, (t) => (seen += t), abort.signal, { fromEnd: true, pollMs: 20 });
    // The second stat is the first poll, so the end offset is fixed by then.
    await waitFor(() => vi.mocked(stat).mock.calls.length >= statsBefore + 2, {
      what: 'the follower to take the end offset',
      timeoutMs: 5000,
    });
    appendFileSync(live, 'new\n');
    await waitFor(() => seen === 'new\n', { what: 'new line', timeoutMs: 5000 });
    truncateSync(live, 0);
    appendFileSync(live, 'x\n');
    await waitFor(() => seen.endsWith('x\n'), { what: 'line after truncate', timeoutMs: 5000 });
    abort.abort();
    await done;
  });

  it('returns at once for an aborted signal and waits for a file that does not exist yet', async () => {
    const dir = newDir();
    await followLog(dir, () => {}, AbortSignal.abort());
    let seen = '';
    const abort = new AbortController();
    const done = followLog(dir, (t) => (seen += t), abort.signal, { pollMs: 20 });
    writeFileSync(logFilePath(dir), 'late\n');
    await waitFor(() => seen === 'late\n', { what: 'late file', timeoutMs: 5000 });
    abort.abort();
    await done;
  });
});
