/**
 * Pier's configuration for what instances need from the machine (pip options,
 * an S3-compatible endpoint for `oss` storage, the GPU list), read from the
 * environment. A pure function: the server passes the result to the runtimes.
 */

import type { PierRuntimeConfig } from './runtime/index.js';

/**
 * | variable | meaning |
 * | PIER_PYTHON | interpreter venvs are made from (default python3) |
 * | PIER_PIP_INDEX_URL | pip --index-url |
 * | PIER_PIP_FIND_LINKS | pip --find-links, comma-separated directories or URLs |
 * | PIER_PIP_NO_INDEX=1 | pip --no-index (offline: install only from find-links) |
 * | PIER_PIP_EXTRA_ARGS | more pip install arguments, space-separated |
 * | PIER_OSS_ENDPOINT, PIER_OSS_ACCESS_KEY_ID, PIER_OSS_SECRET_ACCESS_KEY, PIER_OSS_REGION | where oss:// paths are read |
 * | PIER_GPUS | the machine's GPUs, comma-separated (default: nvidia-smi -L) |
 */
export function runtimeConfigFromEnv(home: string, env: NodeJS.ProcessEnv): PierRuntimeConfig {
  const list = (v: string | undefined, sep: RegExp) =>
    v
      ?.split(sep)
      .map((s) => s.trim())
      .filter(Boolean);
  const findLinks = list(env.PIER_PIP_FIND_LINKS, /,/);
  const extraArgs = list(env.PIER_PIP_EXTRA_ARGS, /\s+/);
  const gpus = list(env.PIER_GPUS, /,/);
  const noIndex = /^(1|true|yes)$/i.test(env.PIER_PIP_NO_INDEX ?? '');
  return {
    home,
    ...(env.PIER_PYTHON ? { python: env.PIER_PYTHON } : {}),
    pip: {
      ...(env.PIER_PIP_INDEX_URL ? { indexUrl: env.PIER_PIP_INDEX_URL } : {}),
      ...(findLinks?.length ? { findLinks } : {}),
      ...(noIndex ? { noIndex } : {}),
      ...(extraArgs?.length ? { extraArgs } : {}),
    },
    ...(env.PIER_OSS_ENDPOINT
      ? {
          oss: {
            endpoint: env.PIER_OSS_ENDPOINT,
            ...(env.PIER_OSS_ACCESS_KEY_ID ? { accessKeyId: env.PIER_OSS_ACCESS_KEY_ID } : {}),
            ...(env.PIER_OSS_SECRET_ACCESS_KEY ? { secretAccessKey: env.PIER_OSS_SECRET_ACCESS_KEY } : {}),
            ...(env.PIER_OSS_REGION ? { region: env.PIER_OSS_REGION } : {}),
          },
        }
      : {}),
    ...(gpus ? { gpus } : {}),
  };
}
