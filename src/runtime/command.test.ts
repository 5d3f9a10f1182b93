import { describe, expect, it } from 'vitest';
import { buildEnv, buildLaunches, processUnsupportedReason, splitCommand } from './command.js';
import { makeSpec } from '../../test/support/runtime.js';

/** The literal `${PORT}` users write in commands (kept out of template strings on purpose). */
const PORT_REF = '$' + '{PORT}';

describe('splitCommand', () => {
  it('splits words like a shell, honouring quotes and backslashes', () => {
    expect(splitCommand(`python3 -c 'print("hi there")' "a b" c\\ d`, {})).toEqual({
      ok: true,
      argv: ['python3', '-c', 'print("hi there")', 'a b', 'c d'],
    });
  });

  it('expands $PORT and $PORT in braces, and other variables defined in the environment', () => {
    const env = { PORT: '4321', MODEL: '/m' };
    expect(splitCommand(`serve --port ${PORT_REF} --also $PORT --model $MODEL`, env)).toEqual({
      ok: true,
      argv: ['serve', '--port', '4321', '--also', '4321', '--model', '/m'],
    });
  });

  it('leaves undefined variables and globs as written, and drops comments', () => {
    expect(splitCommand('run $NOPE *.py # note', {})).toEqual({ ok: true, argv: ['run', '$NOPE', '*.py'] });
  });

  it('does not expand inside single quotes', () => {
    expect(splitCommand(`echo '$PORT'`, { PORT: '1' })).toEqual({ ok: true, argv: ['echo', '$PORT'] });
  });

  it.each(['a | b', 'a && b', 'a; b', 'a > out', 'a &'])('refuses shell operators: %s', (command) => {
    const result = splitCommand(command, {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/put it in "script"/);
  });

  it('refuses an empty command', () => {
    expect(splitCommand('   ', {}).ok).toBe(false);
  });
});

describe('processUnsupportedReason', () => {
  it('accepts a command or script serving container', () => {
    expect(processUnsupportedReason(makeSpec([{ command: 'python3 app.py', port: 8000 }]))).toBeNull();
    expect(processUnsupportedReason(makeSpec([{ script: 'cd x; python3 app.py', port: 8000 }]))).toBeNull();
  });

  it('explains that an image-only container needs the container runtime', () => {
    const reason = processUnsupportedReason(makeSpec([{ image: 'eas/model:1', port: 8000 }]));
    expect(reason).toContain('containers[0] names image "eas/model:1" but has no command or script');
    expect(reason).toContain('the process runtime cannot run images');
    expect(reason).toContain('container runtime');
  });

  it('needs a serving container with a port', () => {
    expect(processUnsupportedReason(makeSpec([{ command: 'python3 app.py' }]))).toMatch(/no container has a "port"/);
  });

  it('points at script for a command with operators', () => {
    expect(processUnsupportedReason(makeSpec([{ command: 'a | b', port: 8000 }]))).toMatch(
      /^containers\[0\]: .*"script"/,
    );
  });
});

describe('buildLaunches and buildEnv', () => {
  it('puts the serving container first, runs scripts with /bin/sh -c and substitutes the port', () => {
    const spec = makeSpec([
      { script: `sidecar --to ${PORT_REF}` },
      { command: `serve --port ${PORT_REF}`, port: 8000, env: [{ name: 'A', value: '1' }] },
      { image: 'ignored-sidecar-without-command', command: undefined },
    ]);
    const launches = buildLaunches(spec, 5555, (c) => ({
      PORT: '5555',
      ...Object.fromEntries(c.env.map((e) => [e.name, e.value])),
    }));
    expect(launches).toEqual([
      { path: 'containers[1]', file: 'serve', args: ['--port', '5555'], env: { PORT: '5555', A: '1' } },
      { path: 'containers[0]', file: '/bin/sh', args: ['-c', 'sidecar --to 5555'], env: { PORT: '5555' } },
    ]);
  });

  it('layers Pier env, spec env, PORT and PIER_*, then extraEnv', () => {
    const spec = makeSpec([
      {
        command: 'x',
        port: 1,
        env: [
          { name: 'FOO', value: 'spec' },
          { name: 'PORT', value: '1' },
        ],
      },
    ]);
    const env = buildEnv({
      container: spec.containers[0],
      port: 7000,
      service: 's',
      instanceId: 'i-1',
      revision: 2,
      extraEnv: { CUDA_VISIBLE_DEVICES: '0' },
      base: { PATH: '/bin', FOO: 'pier' },
    });
    expect(env).toEqual({
      PATH: '/bin',
      FOO: 'spec',
      PORT: '7000',
      PIER_SERVICE: 's',
      PIER_INSTANCE: 'i-1',
      PIER_REVISION: '2',
      CUDA_VISIBLE_DEVICES: '0',
    });
  });
});
