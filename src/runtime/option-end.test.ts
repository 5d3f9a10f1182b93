/**
 * Issue 12, defect 10 (defence in depth; src/spec validates the fields too):
 * every command line Pier builds ends option parsing with `--` before the
 * values a spec supplies, so `image: "--version"` is an image the engine
 * refuses, not a flag it obeys, and `pythonRequirements: ["-r/etc/passwd"]` is
 * a requirement pip refuses, not a file it reads.
 */
import { describe, expect, it } from 'vitest';
import { buildRuns } from './container/args.js';
import { pullArgs } from './container/pull.js';
import { pipInstallArgs, pipRunArgs, venvArgs } from './prepare/index.js';
import { makeSpec } from '../../test/support/runtime.js';

const ctx = { engine: 'podman' as const, service: 'svc', revision: 1, instanceId: 'svc-1-abc', hostPort: 40001 };

/** The words after the first `--`, or null when there is none. */
function afterEnd(args: string[]): string[] | null {
  const i = args.indexOf('--');
  return i < 0 ? null : args.slice(i + 1);
}

describe('`--` before user values (issue 12, defect 10)', () => {
  it('podman run: the image comes right after `--`, for command, script and the image default', () => {
    for (const c of [{ command: 'serve --port 1' }, { script: 'serve' }, {}]) {
      const runs = buildRuns(makeSpec([{ image: '--version', port: 8000, ...c }]), ctx);
      if (typeof runs === 'string') throw new Error(runs);
      const tail = afterEnd(runs[0].args);
      expect(tail?.[0], JSON.stringify(c)).toBe('--version');
      // Nothing the engine reads as an option comes from the spec before `--`.
      expect(runs[0].args.indexOf('--')).toBeLessThan(runs[0].args.indexOf('--version'));
    }
  });

  it('podman run: sidecars too, and no --env-host / --env-file / bare -e NAME (inherited from podman)', () => {
    const runs = buildRuns(
      makeSpec([
        { image: 'img', port: 8000, command: 'x' },
        { image: '--privileged', command: 'y' },
      ]),
      ctx,
    );
    if (typeof runs === 'string') throw new Error(runs);
    expect(afterEnd(runs[1].args)?.[0]).toBe('--privileged');
    for (const run of runs) {
      expect(run.args).not.toContain('--env-host');
      expect(run.args).not.toContain('--env-file');
      run.args.forEach((a, i) => {
        if (a === '-e') expect(run.args[i + 1]).toMatch(/^[^=]+=/);
      });
    }
  });

  it('podman/docker pull', () => {
    expect(pullArgs('podman', '--help')).toEqual(['pull', '--quiet', '--', '--help']);
    expect(pullArgs('podman', 'img', ['--authfile', '/a'])).toEqual([
      'pull',
      '--quiet',
      '--authfile',
      '/a',
      '--',
      'img',
    ]);
    expect(pullArgs('docker', '--help')).toEqual(['pull', '--', '--help']);
  });

  it('pip install: requirements after `--`, Pier options and -r FILE before it', () => {
    const args = pipInstallArgs(
      { lines: ['-r/etc/passwd', '--index-url=http://evil'], file: '/srv/req.txt' },
      {
        indexUrl: 'http://mirror',
      },
    );
    expect(afterEnd(args)).toEqual(['-r/etc/passwd', '--index-url=http://evil']);
    const head = args.slice(0, args.indexOf('--'));
    expect(head).toEqual(expect.arrayContaining(['--index-url', 'http://mirror', '-r', '/srv/req.txt']));
  });

  it('pip in the image: `--` before the image and before the requirements, --target before them', () => {
    const args = pipRunArgs(
      {
        binary: 'podman',
        env: {},
        image: '--rm',
        home: '/h',
        requirements: { lines: ['--target=/etc'] },
        path: 'containers[0]',
        log: () => {},
        clock: undefined as never,
      },
      '/h/pydeps/x',
    );
    expect(afterEnd(args)?.[0]).toBe('--rm');
    expect(args.at(-1)).toBe('--target=/etc');
    expect(args.at(-2)).toBe('--');
    expect(args.slice(0, -2)).toEqual(expect.arrayContaining(['--target', '/pier/pydeps']));
  });

  it('python -m venv', () => {
    expect(venvArgs('/h/venvs/abc')).toEqual([
      '-m',
      'venv',
      '--system-site-packages',
      '--without-pip',
      '--',
      '/h/venvs/abc',
    ]);
  });
});
