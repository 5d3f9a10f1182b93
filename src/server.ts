/**
 * Wiring only: builds the store, runtime, controller, gateway and API and starts
 * them in one process (`pier server`), or a gateway alone (`pier gateway`).
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  type AccessKey,
  createApiServer,
  DEFAULT_OPENAPI_ACCESS_KEY_ID,
  type MetricsAuth,
  metricsAuthFor,
  openApiKeyFromEnv,
} from './api/index.js';
import { type Clock, createRealClock } from './clock.js';
import { Autoscaler, type ServiceView } from './autoscaler/index.js';
import { registerProcessMetrics } from './build-info.js';
import {
  ControllerMetrics,
  GatewayRegistry,
  GatewayStatsBoard,
  groupMembership,
  groupRoutes,
  LocalControlPlane,
  Reconciler,
  serviceRoute,
} from './controller/index.js';
import { createTokenCheck } from './api/auth.js';
import {
  createEndpointStore,
  createGateway,
  createRemoteEndpointSource,
  createStatsReporter,
  type DiscoveryMode,
  type Gateway,
} from './gateway/index.js';
import { createInstanceProber } from './probe/index.js';
import {
  createLocalRuntimes,
  type ElasticNodes,
  type KubeClient,
  LocalPlatform,
  loadKubernetes,
  openLocalRecords,
  type Platform,
  type PlatformEvent,
} from './platform/index.js';
import type { InstanceRuntime, PierRuntimeConfig, RuntimeChoice } from './runtime/index.js';
import { createQueueService, openRedisQueueStorage, type QueueService } from './queue/index.js';
import { runtimeConfigFromEnv } from './config.js';
import { ServiceHistory } from './history/index.js';
import { ensureAdminToken, openStore, type Store } from './store/index.js';

export interface PierOptions {
  /** State directory (SQLite file, logs, venvs). Default `./.pier` or PIER_HOME. */
  home: string;
  controlHost: string; // default 127.0.0.1
  controlPort: number; // default 9090; 0 picks a free port
  gatewayHost: string; // default 0.0.0.0
  gatewayPort: number; // default 8080; 0 picks a free port
  /** Overrides PIER_HOME/admin-token (PIER_ADMIN_TOKEN). */
  adminToken?: string;
  /**
   * The AccessKey pair that signs EAS OpenAPI calls (the PAI SDK, docs/pai-sdk.md);
   * default PIER_OPENAPI_ACCESS_KEY_ID/SECRET, else id `pier` with the admin token as secret.
   */
  openApiKey?: AccessKey;
  logLevel?: string;
  /**
   * Which runtime runs instances: 'auto' (default) runs images in containers when
   * podman or docker answers and everything else as processes; 'process' or
   * 'container' forces one.
   */
  runtime?: RuntimeChoice;
  /** TLS for the gateway on a second port; ALPN picks HTTP/2 (gRPC) or HTTP/1.1. */
  tls?: { certFile: string; keyFile: string; port: number };
  /** pip, oss and GPU settings for instances; default: read from PIER_* variables (src/config.ts). */
  runtimeConfig?: Omit<PierRuntimeConfig, 'home'>;
  /**
   * On close, drain and stop every instance (default). A crash or `kill -9`
   * leaves them running instead, and the next start re-adopts them.
   */
  stopInstancesOnClose?: boolean;
  /**
   * How an instance is drained before SIGTERM. 'gateway' (default) waits until
   * the in-process gateway and every remote gateway following the endpoint
   * watch have no request in flight to it; 'none' signals at once, as a
   * Kubernetes pod without a preStop hook does. 'none' exists for bench/rollout.
   */
  drain?: 'gateway' | 'none';
  /** Who may use the discovery paths without a token (default 'private'); src/gateway/discovery.ts. */
  discovery?: DiscoveryMode;
  /** Opt-in bound on an EAS signature's Date, in seconds (`--eas-max-date-skew`); default no check. */
  easMaxDateSkewSeconds?: number;
  /** Gateway threads on the gateway's port (`--gateway-workers`); default 1 (this thread only). */
  gatewayWorkers?: number;
  /** Whether the control port's /metrics needs the admin token; default: 'none' on loopback, else 'token'. */
  metricsAuth?: MetricsAuth;
  /** Where instances run: this machine (default), or pods of a Kubernetes cluster (docs/kubernetes.md). */
  platform?: KubernetesPlatformOptions;
  /** `redis://host:port[/db]`: async services' queues on Redis Streams; default `<home>/queues.db` (docs/queue.md). */
  queueBackend?: string;
  clock?: Clock;
}

export interface KubernetesPlatformOptions {
  kind: 'kubernetes';
  /** Default: in-cluster config in a pod, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  namespace: string;
  /** Image for command-only specs (`--default-image`). */
  defaultImage: string;
  /** How elastic nodes are found and tolerated (`--elastic-node-selector`, `--elastic-toleration`). */
  elasticNodes?: ElasticNodes;
  /**
   * Run as one of several replicas (`--leader-elect`): start only once this one holds
   * the Lease; `onLost` is called if it stops holding it (the process should end,
   * as kube-controller-manager does, and come back as a standby).
   */
  leaderElection?: { lease: string; identity: string; onLost(why: string): void };
}

export interface RunningPier {
  controlUrl: string;
  gatewayUrl: string;
  /** https://… when a certificate was given. */
  gatewayTlsUrl?: string;
  adminToken: string;
  /** Who signs EAS OpenAPI calls (the PAI SDK): the AccessKey id, and whether its secret is the admin token. */
  openApi: { accessKeyId: string; secretIsAdminToken: boolean };
  close(): Promise<void>;
}

export async function startPier(given: PierOptions): Promise<RunningPier> {
  // Absolute from here on: venvs, logs and work dirs must never land in whatever
  // directory a later child process happens to run in.
  const opts = { ...given, home: resolve(given.home) };
  const clock = opts.clock ?? createRealClock();
  const logger = pino({ level: opts.logLevel ?? 'info', base: undefined });
  const registry = new Registry();
  registerProcessMetrics(registry, 'server');
  const adminToken = opts.adminToken ?? ensureAdminToken(opts.home, process.env);
  const openApiKey = opts.openApiKey ?? openApiKeyFromEnv(process.env);
  const store = openStore({ home: opts.home, clock });
  const config = opts.runtimeConfig
    ? { ...opts.runtimeConfig, home: opts.home }
    : runtimeConfigFromEnv(opts.home, process.env);
  // Pods need no local runtime (nor the podman probe it makes).
  const where:
    | { kubernetes: KubernetesPlatformOptions; k8s: Kubernetes; client: KubeClient; elector?: { stop(): void } }
    | { runtime: InstanceRuntime } = opts.platform
    ? await kubernetesParts(opts.platform, clock, logger.child({ component: 'leader' }))
    : { runtime: await createLocalRuntimes({ choice: opts.runtime ?? 'auto', clock, logger, config }) };
  const endpoints = createEndpointStore();
  const history = new ServiceHistory({ clock });
  const queueLogger = logger.child({ component: 'queue' });
  const queueStorage = opts.queueBackend
    ? await openRedisQueueStorage(opts.queueBackend, {
        onError: (err) => queueLogger.error({ err }, 'queue backend write failed'),
      })
    : undefined;
  const queues = createQueueService({
    home: opts.home,
    ...(queueStorage ? { storage: queueStorage } : {}),
    source: endpoints,
    clock,
    logger: queueLogger,
    // The first put to an async service at zero instances starts one at once.
    onDemand: (name) => control.activate(name),
  });

  const gateway = createGateway({
    queues: queues.front,
    source: endpoints,
    clock,
    logger: logger.child({ component: 'gateway' }),
    registry,
    observer: history,
    ...(opts.discovery ? { discovery: opts.discovery } : {}),
    ...(opts.easMaxDateSkewSeconds ? { easMaxDateSkewSeconds: opts.easMaxDateSkewSeconds } : {}),
    ...(opts.gatewayWorkers ? { workers: opts.gatewayWorkers } : {}),
    ...(opts.tls ? { tls: { key: readFileSync(opts.tls.keyFile), cert: readFileSync(opts.tls.certFile) } } : {}),
    // A request for a service scaled to zero starts instances at once (the activator's poke).
    onDemand: (name) => control.activate(name),
  });
  const gatewayPort = await gateway.listen(opts.gatewayPort, opts.gatewayHost);
  const gatewayUrl = `http://${publicHost(opts.gatewayHost)}:${gatewayPort}`;
  const tlsPort = opts.tls ? await gateway.listenTls(opts.tls.port, opts.gatewayHost) : undefined;
  const gateways = new GatewayRegistry({ clock });
  // The autoscaler counts every gateway replica's requests, not only this process's.
  const gatewayStats = new GatewayStatsBoard({ clock });
  const allGateways = () => gatewayStats.merged(gateway.stats());
  const drainLogger = logger.child({ component: 'drain' });

  const listener = {
    event: (e: PlatformEvent) => reconciler.event(e.service, e.type, e.reason, e.message, e.revision, e.instance),
    changed: (service: string) => reconciler.enqueue(service),
  };
  const platform: Platform =
    'kubernetes' in where
      ? new where.k8s.KubernetesPlatform({
          client: where.client,
          clock,
          logger: logger.child({ component: 'kubernetes' }),
          defaultImage: where.kubernetes.defaultImage,
          ...(where.kubernetes.elasticNodes ? { elasticNodes: where.kubernetes.elasticNodes } : {}),
          ...listener,
        })
      : new LocalPlatform({
          runtime: where.runtime,
          clock,
          home: opts.home,
          createProber: (o) => createInstanceProber(o),
          records: openLocalRecords(store),
          drain:
            opts.drain === 'none'
              ? async () => undefined
              : (instanceId, timeoutMs) =>
                  drainInstance(
                    { clock, reconciler, gateway, gateways, queues, logger: drainLogger },
                    instanceId,
                    timeoutMs,
                  ),
          ...listener,
        });
  const reconciler: Reconciler = new Reconciler({
    store,
    platform,
    clock,
    publish: (snapshot) => endpoints.set(snapshot),
    logger: logger.child({ component: 'controller' }),
    onEvent: (service, type, reason) => controllerMetrics.event(service, type, reason),
  });
  const controllerMetrics = new ControllerMetrics(registry, {
    services: () =>
      store.listServices().map((svc) => ({
        name: svc.name,
        desired: svc.stopped ? 0 : svc.desiredInstances,
        instances: reconciler.instances(svc.name),
        ...autoscalerDesired(svc.name),
      })),
  });
  const autoscaler = new Autoscaler({
    clock,
    readStats: allGateways,
    readInstances: (name) => {
      const cpu = new Map(reconciler.metrics(name).map((m) => [m.id, m.cpuSeconds]));
      return reconciler.liveInstances(name).map((i) => {
        const cpuSeconds = cpu.get(i.id);
        return { id: i.id, ready: i.ready, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) };
      });
    },
    services: () => autoscaledServices(store, reconciler, allGateways().services, queues),
    setDesired: (name, desired, reason) => control.applyAutoscale(name, desired, reason),
    logger: logger.child({ component: 'autoscaler' }),
  });
  const control = new LocalControlPlane({
    store,
    reconciler,
    platform,
    endpoints,
    gateways,
    home: opts.home,
    gatewayUrl,
    autoscalerStatus: (name) => {
      const status = autoscaler.status(name);
      // With the gateway replicas whose counters are in the sum (src/controller/gateway-stats.ts).
      return status && { ...status, gateways: allGateways().gateways };
    },
    queueStatus: (name) => queues.status(name),
    groupCounts: () => allGateways().groups,
    gatewayStats,
    clock,
  });
  function autoscalerDesired(name: string): { autoscalerDesired?: number } {
    const desired = autoscaler.status(name)?.desired;
    return desired === undefined ? {} : { autoscalerDesired: desired };
  }
  await reconciler.start();
  // On Kubernetes, PierService objects are the source of truth (docs/kubernetes.md).
  const mirror =
    'kubernetes' in where
      ? new where.k8s.ResourceMirror({
          client: where.client,
          clock,
          logger: logger.child({ component: 'resources' }),
          control: {
            services: () =>
              store
                .listServices()
                .filter((svc) => !svc.deleting)
                .flatMap((svc) => {
                  const rev = store.getRevision(svc.name, svc.revision);
                  return rev
                    ? [{ name: svc.name, spec: rev.spec, desired: svc.desiredInstances, revision: svc.revision }]
                    : [];
                }),
            describe: (name) => control.describe(name),
            token: (name) => store.getService(name)?.token,
            revisions: (name) => store.listRevisions(name).map((r) => ({ number: r.number, spec: r.spec })),
            create: (spec, kept) => control.create(spec, kept),
            replace: (name, spec) => control.modify(name, { replace: spec }),
            delete: (name) => control.delete(name),
            groups: () => store.groups.list(),
          },
        })
      : undefined;
  await mirror?.start();
  autoscaler.start();
  const sampler = clock.setInterval(() => sampleInstances(history, store, reconciler), history.stepMs);

  const api = createApiServer({
    control,
    adminToken,
    registry,
    history,
    metricsAuth: opts.metricsAuth ?? metricsAuthFor(opts.controlHost),
    ...(openApiKey ? { openApiKey } : {}),
    logger: logger.child({ component: 'api' }),
  });
  const controlPort = await api.listen(opts.controlPort, opts.controlHost);
  const controlUrl = `http://${publicHost(opts.controlHost)}:${controlPort}`;

  let closing: Promise<void> | undefined;
  return {
    controlUrl,
    gatewayUrl,
    ...(tlsPort !== undefined ? { gatewayTlsUrl: `https://${publicHost(opts.gatewayHost)}:${tlsPort}` } : {}),
    adminToken,
    openApi: openApiKey
      ? { accessKeyId: openApiKey.accessKeyId, secretIsAdminToken: false }
      : { accessKeyId: DEFAULT_OPENAPI_ACCESS_KEY_ID, secretIsAdminToken: true },
    close() {
      closing ??= (async () => {
        await api.close();
        clock.clearInterval(sampler);
        autoscaler.stop();
        if ('kubernetes' in where) where.elector?.stop();
        await mirror?.close();
        await reconciler.close(opts.stopInstancesOnClose ?? true);
        await gateway.close();
        await queues.close();
        store.close();
      })();
      return closing;
    },
  };
}

type Kubernetes = Awaited<ReturnType<typeof loadKubernetes>>;

async function kubernetesParts(options: KubernetesPlatformOptions, clock: Clock, logger: Logger) {
  const k8s: Kubernetes = await loadKubernetes();
  const client = k8s.createKubeClient(options);
  const election = options.leaderElection;
  const elector = election
    ? new k8s.LeaderElector({ client, lease: election.lease, identity: election.identity, clock, logger })
    : undefined;
  // A standby waits here: no API, no gateway, no reconciling until it leads.
  await elector?.acquire();
  if (elector && election) elector.keep((why) => election.onLost(why));
  return { kubernetes: options, k8s, client, elector };
}

export interface GatewayOnlyOptions {
  controlUrl: string;
  adminToken: string;
  host: string;
  port: number;
  logLevel?: string;
  /** How this gateway names itself to the control plane; default random. */
  gatewayId?: string;
  discovery?: DiscoveryMode;
  /** As PierOptions.easMaxDateSkewSeconds. */
  easMaxDateSkewSeconds?: number;
  /** As PierOptions.gatewayWorkers. */
  gatewayWorkers?: number;
  /**
   * Follow the cluster instead of a control plane (`pier gateway --kubernetes`):
   * PierServices, their token Secrets and EndpointSlices, so that traffic and auth
   * keep working while no control plane runs (docs/kubernetes.md).
   */
  kubernetes?: { kubeconfig?: string; namespace: string };
}

/** The gateway's snapshots from the cluster itself (GatewayOnlyOptions.kubernetes). */
async function clusterEndpointSource(
  options: { kubeconfig?: string; namespace: string },
  clock: Clock,
  logger: Logger,
): Promise<{ source: ReturnType<typeof createEndpointStore>; close(): Promise<void> }> {
  const k8s = await loadKubernetes();
  const store = createEndpointStore();
  const watcher = new k8s.KubernetesEndpointSource({
    client: k8s.createKubeClient(options),
    clock,
    logger: logger.child({ component: 'kubernetes' }),
    route: (svc, spec, endpoints) => serviceRoute({ ...svc, revision: 0, createdAt: 0, updatedAt: 0 }, spec, endpoints),
    groups: (groups, members) => groupRoutes(groups, groupMembership(members)),
    publish: (snapshot) => store.set(snapshot),
  });
  await watcher.start();
  return { source: store, close: () => watcher.stop() };
}

export async function startGatewayOnly(opts: GatewayOnlyOptions): Promise<{ url: string; close(): Promise<void> }> {
  const clock = createRealClock();
  const logger = pino({ level: opts.logLevel ?? 'info', base: undefined });
  let gateway: Gateway | undefined;
  const cluster = opts.kubernetes ? await clusterEndpointSource(opts.kubernetes, clock, logger) : undefined;
  const remote = cluster
    ? undefined
    : createRemoteEndpointSource({
        controlUrl: opts.controlUrl,
        adminToken: opts.adminToken,
        clock,
        logger,
        ...(opts.gatewayId ? { gatewayId: opts.gatewayId } : {}),
        // Reported for drained instances, so the control plane signals them only once these finish.
        inflight: (instanceId) => gateway?.inflight(instanceId) ?? 0,
      });
  await remote?.ready;
  const source = cluster?.source ?? remote;
  if (!source) throw new Error('unreachable: a gateway without a source');
  const registry = new Registry();
  registerProcessMetrics(registry, 'gateway');
  const adminCheck = createTokenCheck(opts.adminToken);
  gateway = createGateway({
    source,
    clock,
    logger: logger.child({ component: 'gateway' }),
    registry,
    metricsEndpoint: { registry, authorized: (req) => adminCheck(req.headers).ok },
    ...(opts.discovery ? { discovery: opts.discovery } : {}),
    ...(opts.easMaxDateSkewSeconds ? { easMaxDateSkewSeconds: opts.easMaxDateSkewSeconds } : {}),
    ...(opts.gatewayWorkers ? { workers: opts.gatewayWorkers } : {}),
    // A request held for a service scaled to zero: ask the control plane to start instances.
    onDemand: (name) => {
      fetch(`${opts.controlUrl}/api/v1/services/${encodeURIComponent(name)}/activate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.adminToken}` },
        signal: AbortSignal.timeout(10_000),
      })
        .then((res) => res.arrayBuffer())
        .catch((err) =>
          logger.warn({ service: name, err: String(err) }, 'could not ask the control plane to activate'),
        );
    },
  });
  const port = await gateway.listen(opts.port, opts.host);
  const served = gateway;
  // Counters for the control plane's autoscaler, which sums the replicas (src/controller/gateway-stats.ts).
  const reporter = createStatsReporter({
    controlUrl: opts.controlUrl,
    adminToken: opts.adminToken,
    gatewayId: remote?.gatewayId ?? opts.gatewayId ?? `gateway-${randomBytes(6).toString('hex')}`,
    stats: () => served.stats(),
    clock,
    logger,
  });
  return {
    url: `http://${publicHost(opts.host)}:${port}`,
    async close() {
      reporter.close();
      remote?.close();
      await cluster?.close();
      await gateway.close();
    },
  };
}

/**
 * An instance's drain before SIGTERM: wait for the first published snapshot
 * without it, then, in parallel, until the in-process gateway has nothing in
 * flight to it and every remote gateway has acknowledged that snapshot with
 * nothing in flight to it — all within `timeoutMs`.
 */
async function drainInstance(
  deps: {
    clock: Clock;
    reconciler: Reconciler;
    gateway: Gateway;
    gateways: GatewayRegistry;
    queues: QueueService;
    logger: Logger;
  },
  instanceId: string,
  timeoutMs: number,
): Promise<boolean> {
  const { clock, gateways } = deps;
  const deadline = clock.now() + timeoutMs;
  const version = await beforeDeadline(clock, deps.reconciler.whenUnpublished(instanceId), timeoutMs);
  if (version === undefined) return false;
  const left = Math.max(0, deadline - clock.now());
  const [local, remote, queued] = await Promise.all([
    deps.gateway.waitForIdle(instanceId, left),
    gateways.drainRemote(instanceId, version, left),
    // Items the dispatcher sent to the instance finish there (or go back to the queue).
    deps.queues.waitForIdle(instanceId, left),
  ]);
  if (!remote) {
    deps.logger.warn(
      { instance: instanceId, version, gateways: gateways.pending(instanceId, version) },
      'remote gateways did not confirm the drain within the grace period; stopping the instance anyway',
    );
  }
  return local && remote && queued;
}

/** `promise`'s value, or undefined when `ms` pass first. */
function beforeDeadline<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | undefined> {
  const abort = new AbortController();
  const timeout = clock.sleep(ms, abort.signal).then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([promise, timeout]).finally(() => abort.abort());
}

/** The charts' instance counts: desired and ready per service, once a step; deleted services are dropped. */
function sampleInstances(history: ServiceHistory, store: Store, reconciler: Reconciler): void {
  const services = store.listServices();
  for (const svc of services) {
    const ready = reconciler.liveInstances(svc.name).filter((i) => i.ready).length;
    history.sampleInstances(svc.name, svc.stopped ? 0 : svc.desiredInstances, ready);
  }
  history.retain(services.map((s) => s.name));
}

/** The services the autoscaler looks after: running ones with an autoscaler or a cron scaler. */
function autoscaledServices(
  store: Store,
  reconciler: Reconciler,
  stats: Record<string, { pending: number } | undefined>,
  queues: QueueService,
): ServiceView[] {
  const out: ServiceView[] = [];
  for (const svc of store.listServices()) {
    if (svc.stopped || svc.deleting) continue;
    const spec = store.getRevision(svc.name, svc.revision)?.spec;
    if (!spec || (!spec.autoscaler && !spec.cronscaler)) continue;
    const backlog = queues.status(svc.name)?.input.length;
    out.push({
      name: svc.name,
      spec: {
        ...(spec.autoscaler ? { autoscaler: spec.autoscaler } : {}),
        ...(spec.cronscaler ? { cronscaler: spec.cronscaler } : {}),
      },
      current: svc.desiredInstances,
      ready: reconciler.liveInstances(svc.name).filter((i) => i.ready).length,
      pendingRequests: stats[svc.name]?.pending ?? 0,
      // An async service's input backlog: the queue[avgbacklog] metric, and items waiting like
      // held requests (they wake a service at zero and keep it from scaling to zero).
      ...(backlog !== undefined ? { backlog } : {}),
    });
  }
  return out;
}

function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
