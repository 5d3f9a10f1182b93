import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redact, registryHost, secretsOf, writeAuthFile } from './auth.js';

const AUTH = Buffer.from('alice:s3cret-pass').toString('base64');

describe('registryHost', () => {
  it('reads the host from a named registry, else Docker Hub', () => {
    expect(registryHost('registry.cn-shanghai.aliyuncs.com/eas/app:1', 'podman')).toBe(
      'registry.cn-shanghai.aliyuncs.com',
    );
    expect(registryHost('localhost:5000/app', 'podman')).toBe('localhost:5000');
    expect(registryHost('library/python:3', 'podman')).toBe('docker.io');
    expect(registryHost('python:3', 'docker')).toBe('https://index.docker.io/v1/');
  });
});

describe('secrets', () => {
  it('redacts the base64, the decoded pair and the password', () => {
    const text = `x ${AUTH} alice:s3cret-pass s3cret-pass y`;
    const out = redact(text, secretsOf(AUTH));
    expect(out).not.toContain('s3cret-pass');
    expect(out).not.toContain(AUTH);
  });

  it('writes the auth file in a private directory and removes it', () => {
    const auth = writeAuthFile(AUTH, 'registry.example.com/a/b:1', 'podman');
    const file = auth.args[1];
    expect(auth.args[0]).toBe('--authfile');
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ auths: { 'registry.example.com': { auth: AUTH } } });
    auth.remove();
    auth.remove();
    expect(existsSync(dirname(file))).toBe(false);
  });

  it('gives docker a DOCKER_CONFIG directory instead', () => {
    const auth = writeAuthFile(AUTH, 'python:3', 'docker');
    expect(auth.args).toEqual([]);
    expect(existsSync(`${auth.env.DOCKER_CONFIG}/config.json`)).toBe(true);
    auth.remove();
  });
});
