import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_FILE, ensureAdminToken, generateToken, resolveHome } from './index.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pier-token-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const URL_SAFE = /^[A-Za-z0-9_-]{32,}$/;

describe('generateToken', () => {
  it('makes long, url-safe, distinct tokens', () => {
    const tokens = new Set(Array.from({ length: 100 }, () => generateToken()));
    expect(tokens.size).toBe(100);
    for (const t of tokens) expect(t).toMatch(URL_SAFE);
  });
});

describe('ensureAdminToken', () => {
  it('prefers PIER_ADMIN_TOKEN and writes nothing', () => {
    expect(ensureAdminToken(dir, { PIER_ADMIN_TOKEN: 'from-env' })).toBe('from-env');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('generates a token once, in a 0600 file, and returns it afterwards', () => {
    const home = join(dir, 'home');
    const token = ensureAdminToken(home, {});
    expect(token).toMatch(URL_SAFE);
    const file = join(home, ADMIN_TOKEN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
    expect(ensureAdminToken(home, {})).toBe(token);
    expect(readdirSync(home)).toEqual([ADMIN_TOKEN_FILE]); // no temp files left
  });

  it('reads an existing token and tightens a wider mode to 0600', () => {
    const file = join(dir, ADMIN_TOKEN_FILE);
    writeFileSync(file, '  my-token\n');
    chmodSync(file, 0o644);
    expect(ensureAdminToken(dir, {})).toBe('my-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('replaces an empty token file', () => {
    const file = join(dir, ADMIN_TOKEN_FILE);
    writeFileSync(file, '\n', { mode: 0o600 });
    const token = ensureAdminToken(dir, {});
    expect(token).toMatch(URL_SAFE);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
  });
});

describe('resolveHome', () => {
  it('uses PIER_HOME, relative to cwd, or <cwd>/.pier', () => {
    expect(resolveHome({}, '/srv/app')).toBe('/srv/app/.pier');
    expect(resolveHome({ PIER_HOME: '/var/lib/pier' }, '/srv/app')).toBe('/var/lib/pier');
    expect(resolveHome({ PIER_HOME: 'state' }, '/srv/app')).toBe('/srv/app/state');
  });
});
