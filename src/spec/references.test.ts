/** Issue 12 item 10: values Pier hands to podman, pip, the prober or spawn() are checked at intake. */

import { describe, expect, it } from 'vitest';
import { expectErrors, expectOk, messageAt, spec, specWith } from '../../test/support/spec.js';

const container = (extra: Record<string, unknown>) => ({
  containers: [{ command: 'python3 app.py', port: 8000, ...extra }],
});

describe('containers[].image', () => {
  it.each([
    'python:3.11',
    'registry.example.com/team/app:1',
    'myharbor.example.com/xxx/yyy:zzz',
    'localhost:5000/a/b_c__d-e.f:v1.2-rc_3',
    'docker.io/library/busybox@sha256:1b6f8a1ab4e52b2ed0b2f7d8d09d7fb4c7b1b6d1e2b4b0f1f7b0e2b7c5a6d4e3',
    'ghcr.io/org/img:tag@sha256:1b6f8a1ab4e52b2ed0b2f7d8d09d7fb4c7b1b6d1e2b4b0f1f7b0e2b7c5a6d4e3',
    '[::1]:5000/app',
    'eas-registry-vpc.cn-shanghai.cr.aliyuncs.com/pai-eas/python-inference:py39-ubuntu2004',
  ])('accepts %s', (image) => {
    expect(expectOk(spec(container({ image }))).containers[0].image).toBe(image);
  });

  it.each([
    ['--version', /must not start with "-"/],
    ['-v', /must not start with "-"/],
    ['Team/App:1', /lower case.*"team\/app:1"/],
    ['docker://busybox', /not an image reference/],
    ['docker-archive:/etc/passwd', /not an image reference/],
    ['busybox:', /not an image reference/],
    ['busy box', /not an image reference/],
    ['app:' + 't'.repeat(129), /not an image reference/],
    ['app@sha256:abc', /not an image reference/],
    ['a'.repeat(300), /longer than 255/],
  ])('rejects %s', (image, message) => {
    const r = expectErrors(spec(container({ image })), ['containers[0].image']);
    expect(messageAt(r, 'containers[0].image')).toMatch(message);
    expect(messageAt(r, 'containers[0].image')).toMatch(/\[registry\[:port\]\/\]name\[:tag\]\[@digest\]/);
  });
});

describe('prepare.pythonRequirements', () => {
  const reqs = (list: string[]) => spec(container({ prepare: { pythonRequirements: list } }));

  it('accepts PEP 508 requirement specifiers', () => {
    const list = [
      'numpy==1.16.4',
      'absl-py==0.11.0',
      'requests',
      'Django>=4.2,<5',
      'requests[security,socks] ~= 2.31',
      'torch (>=2.0)',
      'zope.interface===5.0.0',
      'pywin32>=1.0; sys_platform == "win32"',
      'tomli; python_version < "3.11"',
      'pkg @ https://example.com/pkg-1.0-py3-none-any.whl',
      'numpy==1.26.*',
    ];
    expect(expectOk(reqs(list)).containers[0].prepare?.pythonRequirements).toEqual(list);
  });

  it.each([
    ['-r/etc/passwd', /pip option/],
    ['--index-url=https://evil.example', /pip option/],
    ['-e git+https://example.com/x.git', /pip option/],
    ['/etc/passwd', /file path/],
    ['./local/pkg', /file path/],
    ['../pkg.tar.gz', /file path/],
    ['pkg.whl', /file path/],
    ['https://example.com/x.whl', /URL/],
    ['git+https://example.com/x.git', /URL/],
    ['pkg @ file:///etc/passwd', /https:\/\//],
    ['numpy=1.0', /not a requirement/],
    ['numpy==', /not a requirement/],
    ['', /empty/],
    ['numpy ; $(id)', /marker/],
  ])('rejects %s', (req, message) => {
    const r = expectErrors(reqs(['numpy', req]), ['containers[0].prepare.pythonRequirements[1]']);
    const text = messageAt(r, 'containers[0].prepare.pythonRequirements[1]');
    expect(text).toMatch(message);
    if (req !== '') expect(text).toMatch(/e\.g\. "numpy==1\.26\.4"/);
  });
});

describe('probe host, path and headers', () => {
  const probe = (handler: Record<string, unknown>) => spec(container({ readiness_check: handler }));
  const at = 'containers[0].readiness_check';

  it.each(['127.0.0.1', 'localhost', 'model.internal', '::1', 'a-b.c-d.example'])('accepts host %s', (host) => {
    expectOk(probe({ http_get: { port: 8000, host } }));
    expectOk(probe({ tcp_socket: { port: 8000, host } }));
  });

  it.each([
    'evil@127.0.0.1:19190/api/v1/services#',
    '127.0.0.1:19190',
    'example.com/path',
    'http://example.com',
    '-x',
    'a..b',
    'bad_host',
    `${'a'.repeat(64)}.example`,
  ])('rejects host %s', (host) => {
    for (const kind of ['http_get', 'tcp_socket']) {
      const r = expectErrors(probe({ [kind]: { port: 8000, host } }), [`${at}.${kind}.host`]);
      expect(messageAt(r, `${at}.${kind}.host`)).toMatch(/host name or an IP address.*e\.g\. "127\.0\.0\.1"/);
    }
  });

  it.each(['@127.0.0.1:19190/api/v1/services', '/a b', '/x\r\nHost: evil', '/#frag'])(
    'rejects http_get.path %j',
    (path) => {
      const r = expectErrors(probe({ http_get: { port: 8000, path } }), [`${at}.http_get.path`]);
      expect(messageAt(r, `${at}.http_get.path`)).toMatch(/start with "\/".*"\/health"/);
    },
  );

  it('accepts a relative path, which the prober makes absolute as kubelet does', () => {
    expect(
      expectOk(probe({ http_get: { port: 8000, path: 'health' } })).containers[0].readiness_check?.http_get?.path,
    ).toBe('health');
  });

  it('asks for an IPv6 address without brackets (the prober adds them where a URL needs them)', () => {
    const r = expectErrors(probe({ tcp_socket: { port: 8000, host: '[::1]' } }), [`${at}.tcp_socket.host`]);
    expect(messageAt(r, `${at}.tcp_socket.host`)).toMatch(/without them, e\.g\. "::1"/);
  });

  it('rejects header names and values that cannot be sent', () => {
    const bad = probe({
      http_get: {
        port: 8000,
        http_headers: [
          { name: 'X Bad', value: 'v' },
          { name: 'X-Ok', value: 'a\r\nb' },
        ],
      },
    });
    expectErrors(bad, [`${at}.http_get.http_headers[0].name`, `${at}.http_get.http_headers[1].value`]);
    expectOk(probe({ http_get: { port: 8000, http_headers: [{ name: 'Host', value: 'example.com' }] } }));
  });
});

describe('text that spawn() cannot pass', () => {
  it.each([
    ['containers[0].command', 'python3\u0000 app.py'],
    ['containers[0].script', 'echo\u0000'],
    ['containers[0].env[0].value', 'a\u0000b'],
  ])('rejects a NUL character in %s', (path, value) => {
    const input = path.endsWith('value')
      ? specWith('containers[0].env', [{ name: 'A', value }])
      : specWith(path, value);
    if (path.endsWith('script')) delete (input as { containers: Record<string, unknown>[] }).containers[0].command;
    const r = expectErrors(input, [path]);
    expect(messageAt(r, path)).toMatch(/NUL/);
  });

  it('rejects a NUL character in an exec probe argument', () => {
    const r = expectErrors(spec(container({ liveness_check: { exec: { command: ['cat', 'a\u0000'] } } })), [
      'containers[0].liveness_check.exec.command',
    ]);
    expect(messageAt(r, 'containers[0].liveness_check.exec.command')).toMatch(/NUL/);
  });
});
