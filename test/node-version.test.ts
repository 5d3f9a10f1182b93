import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MINIMUM, nodeTooOld } from '../bin/node-version.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
/** The Node that `npm install` brings as an optional dependency, when this platform has one. */
const pinnedDir = path.join(repoRoot, 'node_modules', `node-${process.platform}-${process.arch}`);

describe('the Node.js Pier runs on', () => {
  it.each([
    ['20.20.2', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['22.19.1', true],
    ['23.0.0', true],
    ['24.22.3', true],
    ['26.1.0', true],
  ])('Node %s can run Pier: %s', (version, ok) => {
    const problem = nodeTooOld(version);
    expect(problem === undefined).toBe(ok);
    if (problem) {
      expect(problem).toContain(`v${version} is too old`);
      expect(problem).toContain('npm install');
      expect(problem).toContain('Node.js 24 LTS');
    }
  });

  it('bin/node-version.js holds the same minimum as package.json engines', () => {
    expect(pkg.engines.node).toBe(`>=${MINIMUM.join('.')}.0`);
  });

  it('this test runs on a Node that Pier accepts', () => {
    expect(nodeTooOld(process.versions.node)).toBeUndefined();
  });

  it('runs on the Node that npm install brought, with the child processes Pier spawns', () => {
    // Only Linux x64/arm64 have a pinned package; elsewhere the system Node must be new enough.
    if (!existsSync(pinnedDir)) return;
    const pinned = JSON.parse(readFileSync(path.join(pinnedDir, 'package.json'), 'utf8'));
    expect(pkg.optionalDependencies[pinned.name]).toBe(pinned.version);
    expect(process.version).toBe(`v${pinned.version}`);
    expect(process.version.startsWith('v24.')).toBe(true);
    expect(realpathSync(process.execPath)).toBe(realpathSync(path.join(pinnedDir, 'bin', 'node')));
    // Test fixtures and examples start `node …` through PATH: under npm that is the same Node.
    const child = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(child).toBe(process.version);
  });

  it('better-sqlite3 is built for this Node', () => {
    // Opening a database loads the addon, which throws when its ABI is another Node's.
    const db = new Database(':memory:');
    expect(db.prepare('select sqlite_version() as v').get()).toMatchObject({ v: expect.any(String) });
    db.close();
  });
});
