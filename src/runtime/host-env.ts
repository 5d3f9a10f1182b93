/**
 * What of Pier's own environment reaches the programs it starts. Pier's
 * environment holds its secrets (PIER_ADMIN_TOKEN, PIER_OSS_SECRET_ACCESS_KEY,
 * whatever else the operator exported), so nothing passes by default: an
 * explicit allow list per consumer, as a Kubernetes pod gets only the env its
 * spec names (https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/).
 */

/**
 * The basics an ordinary program expects of a login session, none of them a
 * credential: where programs are, home, user, shell, terminal, locale, time
 * zone and the temp dir (the variables POSIX lists for a process environment,
 * https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html).
 */
export const INSTANCE_HOST_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'TZ',
  'TMPDIR',
  'LANG',
  'LANGUAGE',
];

/** Locale categories (LC_ALL, LC_CTYPE, …) pass too. */
const LOCALE = /^LC_[A-Z_]+$/;

/**
 * What pip (and `python -m venv`) needs beyond the basics: its own PIP_*
 * configuration, proxies, CA bundles and the XDG cache/config directories
 * (https://pip.pypa.io/en/stable/topics/configuration/).
 */
const PREPARE_EXTRA =
  /^(PIP_[A-Z0-9_]+|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|XDG_(CACHE|CONFIG|DATA)_HOME)$/;

function pick(base: NodeJS.ProcessEnv, keep: (name: string) => boolean): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && keep(k)) env[k] = v;
  return env;
}

/** The part of `base` an instance inherits (before the spec's env and Pier's variables). */
export function instanceHostEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(base, (k) => INSTANCE_HOST_ENV.includes(k) || LOCALE.test(k));
}

/** The environment of a prepare step on the host (venv creation, pip install). */
export function prepareHostEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(base, (k) => INSTANCE_HOST_ENV.includes(k) || LOCALE.test(k) || PREPARE_EXTRA.test(k));
}

/**
 * The environment of the container engine's CLI: everything it may need
 * (XDG_RUNTIME_DIR, DBUS, CONTAINERS_*, DOCKER_*, proxies) except Pier's own
 * configuration. Containers never inherit it: Pier passes only `-e NAME=value`
 * pairs and never `--env-host`; this keeps Pier's secrets out of the engine's
 * hooks and helpers as well.
 */
export function engineHostEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return pick(base, (k) => !k.startsWith('PIER_'));
}
