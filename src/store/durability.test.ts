/**
 * Issue requirement: "A kill -9 at any moment loses nothing that the API had
 * acknowledged". A real writer process acks each committed write on stdout; we
 * SIGKILL it at a random point mid-stream, reopen the store and look for every ack.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE, openStore, type Store } from './index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WRITER = fileURLToPath(new URL('../../test/support/store-writer.ts', import.meta.url));
const ROUND_DEADLINE_MS = 30_000;

let home: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'pier-durable-'));
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  rmSync(home, { recursive: true, force: true });
});

interface Round {
  acks: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Runs the writer until it has acked `killAfter` writes, SIGKILLs it, and returns every ack it got out. */
function runWriterAndKill(prefix: string, killAfter: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', WRITER, home, prefix], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const acks: string[] = [];
    let partial = '';
    let stderr = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`writer gave ${acks.length} acks within ${ROUND_DEADLINE_MS} ms; stderr:\n${stderr}`));
    }, ROUND_DEADLINE_MS);
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      acks.push(...lines);
      if (acks.length >= killAfter && proc.signalCode === null) proc.kill('SIGKILL');
    });
    // 'close' comes after stdout is drained: acks written just before the kill still count.
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ acks, code, signal, stderr });
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Fails with the first acknowledged write the store does not have. */
function checkAcks(store: Store, acks: string[]): void {
  const events = new Map<string, Map<number, string>>();
  const eventsOf = (service: string) => {
    let byId = events.get(service);
    if (!byId) {
      byId = new Map(store.listEvents(service).map((e) => [e.id, e.message]));
      events.set(service, byId);
    }
    return byId;
  };
  for (const line of acks) {
    const [kind, a, b, c] = line.split(' ');
    switch (kind) {
      case 'S':
        expect(store.getService(a), line).toBeDefined();
        break;
      case 'R':
        expect(store.getRevision(a, Number(b))?.spec.containers[0].image, line).toBe(`v${b}`);
        break;
      case 'E':
        expect(eventsOf(a).get(Number(b)), line).toBe(c);
        break;
      case 'U':
        // A later write may have landed unacknowledged; the writer only counts up.
        expect(store.requireService(a).desiredInstances, line).toBeGreaterThanOrEqual(Number(b));
        break;
      case 'K':
        expect(Number(store.getSetting(a)), line).toBeGreaterThanOrEqual(Number(b));
        break;
      default:
        throw new Error(`unexpected writer output: ${JSON.stringify(line)}`);
    }
  }
}

function checkIntegrity(): void {
  const db = new Database(join(home, DB_FILE));
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
  } finally {
    db.close();
  }
}

describe('durability', () => {
  it('a kill -9 at any moment loses no acknowledged write', async () => {
    const all: string[] = [];
    for (let round = 0; round < 3; round++) {
      const killAfter = 200 + Math.floor(Math.random() * 700);
      const result = await runWriterAndKill(`r${round}`, killAfter);
      expect(result.signal, `writer ended on its own (code ${result.code}): ${result.stderr}`).toBe('SIGKILL');
      expect(result.acks.length).toBeGreaterThanOrEqual(killAfter);
      all.push(...result.acks);

      checkIntegrity();
      const store = openStore({ home });
      try {
        checkAcks(store, all);
      } finally {
        store.close();
      }
    }
  });
});
