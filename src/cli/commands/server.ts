/**
 * Foreground verbs: `pier server`, `pier gateway`, `pier up`. The server module is
 * imported lazily so that `pier validate` and the API verbs do not load the store
 * or the runtimes.
 */

import { readFile } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isPierError } from '../../errors.js';
import type { DiscoveryMode } from '../../gateway/index.js';
import { DEFAULT_IMAGE, type ElasticNodes, type Toleration } from '../../platform/kubernetes/translate/index.js';
import { createClient, DEFAULT_CONTROL_URL, readAdminToken } from '../client.js';
import { type CommandContext, writeLines } from '../context.js';
import { CliError, formatFieldErrors } from '../errors.js';
import { parseSpecFile } from '../spec-file.js';
import { waitForService } from '../wait.js';
import { parseCount } from './services.js';
import { timeoutSeconds } from './create.js';

export interface ServerFlags {
  home?: string;
  controlHost: string;
  controlPort: string;
  gatewayHost: string;
  gatewayPort: string;
  logLevel?: string;
  runtime?: string;
  tlsCert?: string;
  tlsKey?: string;
  gatewayTlsPort?: string;
  discovery?: DiscoveryMode;
  easMaxDateSkew?: string;
  gatewayWorkers?: string;
  platform?: 'local' | 'kubernetes';
  kubeconfig?: string;
  namespace?: string;
  defaultImage?: string;
  elasticNodeSelector?: string;
  leaderElect?: boolean;
  leaderLease?: string;
  elasticToleration?: string[];
  /** Default: none when the control host is loopback, token otherwise. */
  metricsAuth?: 'token' | 'none';
  /** `sqlite` (default) or `redis://host:port[/db]`. */
  queueBackend?: string;
}

function pierOptions(ctx: CommandContext, flags: ServerFlags, onLost: (why: string) => void = () => undefined) {
  return {
    home: resolve(ctx.cwd, flags.home ?? (ctx.env.PIER_HOME || '.pier')),
    controlHost: flags.controlHost,
    controlPort: parseCount(flags.controlPort, '--control-port', 0),
    gatewayHost: flags.gatewayHost,
    gatewayPort: parseCount(flags.gatewayPort, '--gateway-port', 0),
    ...(ctx.env.PIER_ADMIN_TOKEN ? { adminToken: ctx.env.PIER_ADMIN_TOKEN } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
    runtime: runtimeChoice(flags.runtime),
    ...platformOptions(ctx, flags, onLost),
    ...(flags.discovery ? { discovery: flags.discovery } : {}),
    ...easSkew(flags.easMaxDateSkew),
    gatewayWorkers: gatewayWorkers(flags.gatewayWorkers),
    ...(flags.metricsAuth ? { metricsAuth: flags.metricsAuth } : {}),
    ...(flags.queueBackend && flags.queueBackend !== 'sqlite' ? { queueBackend: flags.queueBackend } : {}),
    ...tlsOptions(ctx, flags),
  };
}

function platformOptions(ctx: CommandContext, flags: ServerFlags, onLost: (why: string) => void) {
  if (flags.leaderElect && flags.platform !== 'kubernetes') {
    throw new CliError(2, '--leader-elect needs --platform kubernetes (the Lease lives in the cluster)');
  }
  if (flags.platform !== 'kubernetes') return {};
  return {
    platform: {
      kind: 'kubernetes' as const,
      ...(flags.kubeconfig ? { kubeconfig: resolve(ctx.cwd, flags.kubeconfig) } : {}),
      namespace: flags.namespace ?? 'default',
      defaultImage: flags.defaultImage ?? DEFAULT_IMAGE,
      ...elasticNodes(flags),
      ...(flags.leaderElect
        ? {
            leaderElection: {
              lease: flags.leaderLease ?? 'pier-control-plane',
              // The pod's name in a cluster (the downward API), else host and pid.
              identity: ctx.env.POD_NAME || `${hostname()}-${process.pid}`,
              onLost,
            },
          }
        : {}),
    },
  };
}

/** `--elastic-node-selector k=v,…` and `--elastic-toleration key[=value]:Effect` (docs/kubernetes.md). */
export function elasticNodes(flags: ServerFlags): { elasticNodes?: ElasticNodes } {
  if (!flags.elasticNodeSelector && !flags.elasticToleration?.length) return {};
  const nodeSelector: Record<string, string> = {};
  const selector = flags.elasticNodeSelector ?? 'type=virtual-kubelet';
  for (const pair of selector.split(',')) {
    const [k, v, ...rest] = pair.split('=');
    if (!k || v === undefined || rest.length > 0) {
      throw new CliError(2, `--elastic-node-selector takes k=v[,k=v], got "${selector}"`);
    }
    nodeSelector[k.trim()] = v.trim();
  }
  const tolerations = (flags.elasticToleration ?? ['virtual-kubelet.io/provider:NoSchedule']).map((raw) => {
    const m = /^([^=:\s]+)(?:=([^:\s]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(raw);
    if (!m) {
      throw new CliError(
        2,
        `--elastic-toleration takes key[=value]:NoSchedule|PreferNoSchedule|NoExecute, got "${raw}"`,
      );
    }
    const [, key = '', value, effect] = m;
    return value !== undefined
      ? { key, operator: 'Equal' as const, value, effect: effect as Toleration['effect'] }
      : { key, operator: 'Exists' as const, effect: effect as Toleration['effect'] };
  });
  return { elasticNodes: { nodeSelector, tolerations } };
}

/** `--eas-max-date-skew <seconds>`: a positive whole number of seconds; absent means no check. */
function easSkew(raw: string | undefined): { easMaxDateSkewSeconds?: number } {
  if (raw === undefined) return {};
  return { easMaxDateSkewSeconds: parseCount(raw, '--eas-max-date-skew', 1) };
}

/**
 * `--gateway-workers N|auto`: auto is one thread per core the process may use,
 * where the kernel spreads connections over SO_REUSEPORT sockets; elsewhere
 * (macOS, Windows) node refuses `reusePort` (nodejs/node#61018), so auto is 1
 * and a number above 1 is refused up front.
 */
export function gatewayWorkers(raw: string | undefined, platform: NodeJS.Platform = process.platform): number {
  const balanced = REUSEPORT_PLATFORMS.has(platform);
  if (raw === undefined || raw === 'auto') return balanced ? Math.min(64, availableParallelism()) : 1;
  const n = parseCount(raw, '--gateway-workers', 1);
  if (n > 64) throw new CliError(2, `--gateway-workers must be auto or an integer from 1 to 64, got "${raw}"`);
  if (n > 1 && !balanced) {
    throw new CliError(
      2,
      `--gateway-workers ${n} needs SO_REUSEPORT load balancing (Linux, FreeBSD, Solaris, AIX), not on ${platform}; use 1 or auto`,
    );
  }
  return n;
}

/** Where node's `listen({reusePort: true})` works (the node:net docs). */
const REUSEPORT_PLATFORMS = new Set<NodeJS.Platform>(['linux', 'freebsd', 'sunos', 'aix']);

function tlsOptions(ctx: CommandContext, flags: ServerFlags) {
  if (!flags.tlsCert && !flags.tlsKey) return {};
  if (!flags.tlsCert || !flags.tlsKey) throw new CliError(2, '--tls-cert and --tls-key go together');
  return {
    tls: {
      certFile: resolve(ctx.cwd, flags.tlsCert),
      keyFile: resolve(ctx.cwd, flags.tlsKey),
      port: parseCount(flags.gatewayTlsPort ?? '8443', '--gateway-tls-port', 0),
    },
  };
}

function runtimeChoice(raw: string | undefined): 'auto' | 'process' | 'container' {
  const value = raw ?? 'auto';
  if (value === 'auto' || value === 'process' || value === 'container') return value;
  throw new CliError(2, `--runtime must be auto, process or container, got "${value}"`);
}

function untilShutdown(signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    if (signal.aborted) done();
    else signal.addEventListener('abort', () => done(), { once: true });
  });
}

function banner(
  ctx: CommandContext,
  home: string,
  pier: {
    controlUrl: string;
    gatewayUrl: string;
    gatewayTlsUrl?: string;
    openApi: { accessKeyId: string; secretIsAdminToken: boolean };
  },
): string[] {
  const token = ctx.env.PIER_ADMIN_TOKEN ? 'from PIER_ADMIN_TOKEN' : join(home, 'admin-token');
  const lines = [`Control API: ${pier.controlUrl}`, `Gateway:     ${pier.gatewayUrl}`];
  if (pier.gatewayTlsUrl) lines.push(`Gateway TLS: ${pier.gatewayTlsUrl} (HTTP/2 and HTTP/1.1 by ALPN)`);
  lines.push(`Admin token: ${token}`);
  lines.push(`Console:     ${pier.controlUrl}/ (sign in with the admin token)`);
  const secret = pier.openApi.secretIsAdminToken ? 'the admin token' : 'PIER_OPENAPI_ACCESS_KEY_SECRET';
  lines.push(`PAI SDK:     AccessKey id "${pier.openApi.accessKeyId}", secret ${secret} (docs/pai-sdk.md)`);
  if (pier.controlUrl !== DEFAULT_CONTROL_URL) lines.push(`(other shells: export PIER_CONTROL_URL=${pier.controlUrl})`);
  return lines;
}

export async function server(ctx: CommandContext, flags: ServerFlags): Promise<void> {
  let lose: (why: string) => void = () => undefined;
  const lost = new Promise<string>((resolve) => {
    lose = resolve;
  });
  const opts = pierOptions(ctx, flags, (why) => lose(why));
  const { startPier } = await import('../../server.js');
  if (flags.leaderElect) writeLines(ctx.err, [`waiting for the lease ${flags.leaderLease ?? 'pier-control-plane'}…`]);
  const pier = await startPier(opts);
  writeLines(ctx.out, [...banner(ctx, opts.home, pier), 'Press Ctrl-C to stop.']);
  const why = await Promise.race([untilShutdown(ctx.shutdown).then(() => undefined), lost]);
  writeLines(ctx.err, ['stopping…']);
  await pier.close();
  // As kube-controller-manager: a leader that lost its Lease ends, and comes back as a standby.
  if (why !== undefined) throw new CliError(1, `lost the leadership: ${why}`);
}

export async function gateway(
  ctx: CommandContext,
  flags: {
    control?: string;
    host: string;
    port: string;
    logLevel?: string;
    discovery?: DiscoveryMode;
    easMaxDateSkew?: string;
    gatewayWorkers?: string;
    kubernetes?: boolean;
    kubeconfig?: string;
    namespace?: string;
  },
): Promise<void> {
  const controlUrl = (flags.control ?? (ctx.env.PIER_CONTROL_URL || DEFAULT_CONTROL_URL)).replace(/\/+$/, '');
  const adminToken = readAdminToken(ctx.env, ctx.cwd);
  if (!adminToken) {
    throw new CliError(2, 'no admin token: set PIER_ADMIN_TOKEN or PIER_HOME (the directory holding admin-token)');
  }
  const { startGatewayOnly } = await import('../../server.js');
  const gw = await startGatewayOnly({
    controlUrl,
    adminToken,
    host: flags.host,
    port: parseCount(flags.port, '--port', 0),
    ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
    ...(flags.discovery ? { discovery: flags.discovery } : {}),
    ...easSkew(flags.easMaxDateSkew),
    gatewayWorkers: gatewayWorkers(flags.gatewayWorkers),
    ...(flags.kubernetes
      ? {
          kubernetes: {
            ...(flags.kubeconfig ? { kubeconfig: resolve(ctx.cwd, flags.kubeconfig) } : {}),
            namespace: flags.namespace ?? 'default',
          },
        }
      : {}),
  });
  const following = flags.kubernetes ? `the cluster, namespace ${flags.namespace ?? 'default'}` : controlUrl;
  writeLines(ctx.out, [`Gateway: ${gw.url} (following ${following})`, 'Press Ctrl-C to stop.']);
  await untilShutdown(ctx.shutdown);
  await gw.close();
}

export async function up(ctx: CommandContext, file: string, flags: ServerFlags & { timeout: string }): Promise<void> {
  const timeout = timeoutSeconds(flags.timeout);
  const { path, value, warnings } = await parseSpecFile(file, ctx.cwd);
  writeLines(ctx.err, formatFieldErrors(warnings, 'warning: '));
  // `up` is for reading the progress and the curl line: only warnings from the logger by default.
  const opts = { ...pierOptions(ctx, flags), logLevel: flags.logLevel ?? 'warn' };
  const { startPier } = await import('../../server.js');
  const pier = await startPier(opts);
  try {
    writeLines(ctx.out, banner(ctx, opts.home, pier));
    const client = createClient({ baseUrl: pier.controlUrl, token: () => pier.adminToken });
    const local: CommandContext = { ...ctx, client };
    let name = nameOf(value);
    try {
      const created = await client.create(value);
      name = created.service.name;
      writeLines(ctx.err, formatFieldErrors(created.warnings, 'warning: '));
      writeLines(ctx.out, [`Service ${name} created.`]);
    } catch (err) {
      if (!isPierError(err) || err.code !== 'SERVICE_EXISTS' || !name) throw err;
      writeLines(ctx.out, [`Service ${name} exists already; leaving it as it is (change it with "pier modify").`]);
    }
    const service = await waitForService(local, name, {
      timeoutSeconds: timeout,
      progress: ctx.out,
      progressIsTty: ctx.ttyOut,
    });
    const body = await exampleBody(path);
    writeLines(ctx.out, [
      `Service ${name} is ${service.status}.`,
      `Endpoint: ${service.endpoint}`,
      `Token:    ${service.token}`,
      'Call it:',
      `  curl ${service.endpoint} -H "Authorization: ${service.token}" -d ${shellQuote(body)}`,
      'Press Ctrl-C to stop.',
    ]);
    await untilShutdown(ctx.shutdown);
  } finally {
    await pier.close();
  }
}

function nameOf(spec: unknown): string {
  const s = spec as { name?: unknown; metadata?: { name?: unknown } } | null;
  const name = s?.name ?? s?.metadata?.name;
  return typeof name === 'string' ? name : '';
}

/** `example-request.json` next to the spec file, compacted; `{}` when there is none. */
async function exampleBody(specPath: string): Promise<string> {
  try {
    const text = (await readFile(join(dirname(specPath), 'example-request.json'), 'utf8')).trim();
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      return text;
    }
  } catch {
    return '{}';
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
