/**
 * The `pier` verbs on commander: each action calls a command function, then
 * prints what it returned. Errors propagate to main's single handler.
 */

import { Command, Option } from 'commander';
import { createClient } from './client.js';
import * as create from './commands/create.js';
import * as exporter from './commands/export.js';
import * as observe from './commands/observe.js';
import { registerGroupCommands } from './commands/groups.js';
import * as foreground from './commands/server.js';
import * as services from './commands/services.js';
import * as traffic from './commands/traffic.js';
import * as check from './commands/validate.js';
import { type CommandContext, type OutputFormat, writeLines } from './context.js';
import { CliError } from './errors.js';
import { print } from './output.js';
import { manifestText } from '../platform/kubernetes/translate/index.js';

type Opts = Record<string, unknown> & { output?: OutputFormat };

const outputOption = () =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table');
const collect = (value: string, previous: string[]) => [...previous, value];

function serverFlags(cmd: Command): Command {
  return (
    cmd
      .option('--home <dir>', 'state directory (default: $PIER_HOME or ./.pier)')
      .option('--control-host <host>', 'control API address', '127.0.0.1')
      .option('--control-port <port>', 'control API port (0 picks a free one)', '9090')
      .option('--gateway-host <host>', 'gateway address', '0.0.0.0')
      .option('--gateway-port <port>', 'gateway port (0 picks a free one)', '8080')
      .option('--log-level <level>', 'trace, debug, info, warn, error')
      .option('--tls-cert <file>', 'PEM certificate: also serve the gateway over TLS (HTTP/2 and HTTP/1.1 by ALPN)')
      .option('--tls-key <file>', 'PEM private key for --tls-cert')
      .option('--gateway-tls-port <port>', 'TLS port of the gateway (with --tls-cert)', '8443')
      .option(
        '--runtime <runtime>',
        'auto (images in podman/docker, the rest as processes), process, or container',
        'auto',
      )
      .addOption(
        new Option('--platform <platform>', 'where instances run: local (this machine) or kubernetes (pods)')
          .choices(['local', 'kubernetes'])
          .default('local'),
      )
      .option(
        '--kubeconfig <file>',
        'kubeconfig for --platform kubernetes (default: in-cluster, $KUBECONFIG, ~/.kube/config)',
      )
      .option('--namespace <ns>', 'namespace of the services with --platform kubernetes', 'default')
      .option(
        '--default-image <image>',
        'image for command-only specs with --platform kubernetes (default python:3.12-slim)',
      )
      .option(
        '--leader-elect',
        'with --platform kubernetes: one of several replicas; only the holder of the Lease runs',
      )
      .option('--leader-lease <name>', 'the Lease for --leader-elect', 'pier-control-plane')
      .option(
        '--elastic-node-selector <labels>',
        'labels of elastic nodes for burst_resource, k=v[,k=v] (default type=virtual-kubelet)',
      )
      .option(
        '--elastic-toleration <key[=value]:effect>',
        'what lets a pod onto elastic nodes; repeatable (default virtual-kubelet.io/provider:NoSchedule)',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .addOption(discoveryOption())
      .addOption(easSkewOption())
      // auto, as for pier gateway: the other threads relay async services' queues to the main thread.
      .addOption(gatewayWorkersOption())
      .option(
        '--queue-backend <url>',
        "where async services' queues live: sqlite (<home>/queues.db) or redis://host:port[/db] (Redis Streams)",
        'sqlite',
      )
      .addOption(
        new Option('--metrics-auth <mode>', 'whether /metrics on the control port needs the admin token').choices([
          'token',
          'none',
        ]),
      )
  );
}

/** Direct-mode discovery without a token: see docs/cli.md and src/gateway/discovery.ts. */
function discoveryOption(): Option {
  return new Option('--discovery <mode>', 'who may list instances without a token: open, private, token, off')
    .choices(['open', 'private', 'token', 'off'])
    .default('private');
}

/** Gateway threads on one port (SO_REUSEPORT): see docs/cli.md and src/gateway/workers/. */
function gatewayWorkersOption(): Option {
  return new Option(
    '--gateway-workers <n>',
    'gateway threads accepting on the port: a number or auto (one per core)',
  ).default('auto');
}

/** Opt-in Date check of EAS-signed calls: see docs/cli.md and src/gateway/README.md. */
function easSkewOption(): Option {
  return new Option(
    '--eas-max-date-skew <seconds>',
    "reject EAS-signed calls whose Date is further than this from the gateway's clock (default: no check)",
  );
}

function waitFlags(cmd: Command): Command {
  return cmd
    .option('--no-wait', 'return once the request is accepted')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 1)', '600');
}

/** Builds a fresh program; `setExit` receives a command's own exit code (e.g. 2 for an invalid spec). */
export function buildProgram(ctx: CommandContext, version: string, setExit: (code: number) => void): Command {
  const { out, err } = ctx;
  const program = new Command('pier')
    .description('Self-hosted model serving that reads PAI-EAS service specs')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 bad input. Docs: docs/cli.md');

  serverFlags(program.command('server').description('run the control plane and gateway in the foreground')).action(
    (o) => foreground.server(ctx, o),
  );
  program
    .command('gateway')
    .description('run a gateway that follows a remote control plane')
    .option('--control <url>', 'control API URL (default: $PIER_CONTROL_URL or http://127.0.0.1:9090)')
    .option(
      '--kubernetes',
      'follow the cluster (PierServices, token Secrets, EndpointSlices) instead of a control plane',
    )
    .option('--kubeconfig <file>', 'kubeconfig for --kubernetes (default: in-cluster, $KUBECONFIG, ~/.kube/config)')
    .option('--namespace <ns>', 'namespace of the services with --kubernetes', 'default')
    .option('--host <host>', 'listen address', '0.0.0.0')
    .option('--port <port>', 'listen port', '8080')
    .option('--log-level <level>', 'trace, debug, info, warn, error')
    .addOption(discoveryOption())
    .addOption(easSkewOption())
    .addOption(gatewayWorkersOption())
    .action((o) => foreground.gateway(ctx, o));
  serverFlags(program.command('up').argument('<file>', 'service spec (JSON or YAML)'))
    .description('start Pier here, create the service, wait for it, and show how to call it')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 1)', '600')
    .action((file, o) => foreground.up(ctx, file, o));

  program
    .command('validate')
    .description('check a spec file without a server')
    .argument('<file>')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (file: string, o: Opts) => {
      const result = await check.validate(ctx, file);
      if (o.output === 'json') out.write(`${JSON.stringify(result)}\n`);
      else {
        const lines = check.validateLines(file, result);
        writeLines(out, lines.out);
        writeLines(err, lines.err);
      }
      setExit(result.ok ? 0 : 2);
    });

  program
    .command('export')
    .description('print the objects a service becomes on a platform (a spec file needs no server)')
    .argument('<spec-or-service>', 'a spec file, or the name of a service on the server')
    .addOption(new Option('--platform <platform>', 'target platform').choices(['kubernetes']).default('kubernetes'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--namespace <ns>', 'namespace of the objects', 'default')
    .option('--default-image <image>', 'image for containers with only command/script (default python:3.12-slim)')
    .action(async (target: string, o: Opts & { namespace?: string; defaultImage?: string }) => {
      const r = await exporter.exportManifests(ctx, target, {
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ...(o.defaultImage ? { defaultImage: o.defaultImage } : {}),
      });
      writeLines(
        err,
        r.warnings.map((w) => `warning: ${w}`),
      );
      out.write(manifestText(r.objects, o.output === 'json' ? 'json' : 'yaml'));
    });

  waitFlags(program.command('create').argument('<file>'))
    .description('create a service from a spec file and wait until it runs')
    .addOption(outputOption())
    .action(async (file: string, o: Opts) => {
      const machine = o.output !== 'table';
      const s = await create.create(ctx, file, { wait: o.wait as boolean, timeout: o.timeout as string, machine });
      if (machine) print(out, o.output!, s, () => []);
    });

  waitFlags(program.command('modify').argument('<name>'))
    .description('change a service: merge a partial spec (-s), replace it (--replace), or set fields (-D)')
    .option('-s, --spec <file>', 'partial spec to merge (whole spec with --replace)')
    .option('--replace', 'replace the whole spec with the file')
    .option(
      '-D, --set <key=value>',
      'set a field by dotted path, e.g. -D metadata.instance=3 (repeatable)',
      collect,
      [],
    )
    .option(
      '--traffic <percent>',
      'start the new revision next to the current one with this % of the traffic (a canary) instead of a rolling update',
    )
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      const machine = o.output !== 'table';
      const flags = {
        wait: o.wait as boolean,
        timeout: o.timeout as string,
        machine,
        set: o.set as string[],
        ...(o.spec ? { spec: o.spec as string } : {}),
        ...(o.replace ? { replace: true } : {}),
        ...(o.traffic !== undefined ? { traffic: o.traffic as string } : {}),
      };
      const result = await create.modify(ctx, name, flags);
      if (machine) print(out, o.output!, result, () => []);
    });

  program
    .command('desc')
    .alias('describe')
    .description('show a service: status, endpoint, token, revisions')
    .argument('<name>')
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      const s = await services.desc(ctx, name);
      print(out, o.output!, s, () => services.descTable(s));
    });
  program
    .command('ls')
    .alias('list')
    .description('list services; -w prints the list again whenever it changes')
    .addOption(outputOption())
    .option('-w, --watch', 'keep watching until Ctrl-C')
    .action(async (o: Opts) => {
      if (o.watch) {
        await ctx.client.watchList((list) => print(out, o.output!, list, () => services.listTable(list)), ctx.shutdown);
        return;
      }
      const list = await services.list(ctx);
      print(out, o.output!, list, () => services.listTable(list));
    });
  program
    .command('w')
    .alias('instances')
    .description("list a service's instances; -w prints them again whenever they change")
    .argument('<name>')
    .addOption(outputOption())
    .option('-w, --watch', 'keep watching until Ctrl-C')
    .action(async (name: string, o: Opts) => {
      if (o.watch) {
        await ctx.client.watchInstances(
          name,
          (list) => print(out, o.output!, list, () => observe.instancesTable(list, ctx.clock.now())),
          ctx.shutdown,
        );
        return;
      }
      const list = await observe.instances(ctx, name);
      print(out, o.output!, list, () => observe.instancesTable(list, ctx.clock.now()));
    });
  program
    .command('delete')
    .description('delete a service and its instances')
    .argument('<name>')
    .option('-y, --yes', 'do not ask')
    .action(async (name: string, o: Opts) => {
      const r = await services.remove(ctx, name, o.yes === true);
      writeLines(out, [`Service ${r.deleted} deleted.`]);
    });

  const oneShot = (verb: string, label: string, fn: (name: string, arg: string) => ReturnType<typeof services.stop>) =>
    program
      .command(verb)
      .addOption(outputOption())
      .action(async (name: string, ...rest: unknown[]) => {
        const arg = typeof rest[0] === 'string' ? rest[0] : '';
        const o = rest.find((r): r is Opts => typeof r === 'object' && r !== null && 'output' in r)!;
        const s = await fn(name, arg);
        print(out, o.output!, s, () => services.statusLine(label, s));
      });
  oneShot('stop', 'Stopping', (name) => services.stop(ctx, name))
    .description('stop all instances; keep the service')
    .argument('<name>');
  oneShot('start', 'Starting', (name) => services.start(ctx, name))
    .description('start a stopped service')
    .argument('<name>');
  oneShot('scale', 'Scaling', (name, n) => services.scale(ctx, name, n))
    .description('set the number of instances')
    .argument('<name>')
    .argument('<instances>');
  oneShot('version', 'Rolling out', (name, n) => services.version(ctx, name, n))
    .alias('rollback')
    .description('roll revision N out again')
    .argument('<name>')
    .argument('<revision>');

  program
    .command('traffic')
    .description('split traffic between revisions: pier traffic NAME 2=90 3=10 (whole percents summing to 100)')
    .argument('<name>')
    .argument('<split...>', 'REVISION=PERCENT pairs')
    .addOption(outputOption())
    .action(async (name: string, split: string[], o: Opts) => {
      const s = await traffic.setTraffic(ctx, name, split);
      print(out, o.output!, s, () => traffic.trafficLines(s));
    });
  program
    .command('promote')
    .description("send 100% of the traffic to revision N and make it current; the other revisions' instances drain")
    .argument('<name>')
    .argument('<revision>')
    .addOption(outputOption())
    .action(async (name: string, revision: string, o: Opts) => {
      const s = await traffic.promote(ctx, name, revision);
      print(out, o.output!, s, () => traffic.trafficLines(s));
    });

  program
    .command('autoscale')
    .description('set (or with --off remove) the autoscaler: pier autoscale NAME --min 1 --max 5 --qps 10')
    .argument('<name>')
    .option('--min <n>', 'fewest instances (0 allows scale to zero)')
    .option('--max <n>', 'most instances')
    .option('--qps <n>', 'target requests per second per instance')
    .option('--cpu <percent>', 'target CPU % of one core per instance')
    .option('--concurrency <n>', 'target in-flight requests per instance')
    .option('--backlog <n>', 'target queue items per instance of an async service (queue[avgbacklog])')
    .option('--off', 'remove the autoscaler; the instance count stays where it is')
    .addOption(outputOption())
    .action(async (name: string, o: Opts & Record<string, string | boolean | undefined>) => {
      const result = await ctx.client.modify(name, { patch: { autoscaler: autoscalerPatch(o) } });
      print(out, o.output!, result.service, () => [
        o.off
          ? `Service ${name}: autoscaler removed.`
          : `Service ${name}: autoscaler set (revision ${result.service.revision}).`,
      ]);
    });
  program
    .command('restart')
    .description('replace every instance (or one) through the rolling path, without dropping requests')
    .argument('<name>')
    .option('--instance <id>', 'replace only this instance')
    .addOption(outputOption())
    .action(async (name: string, o: Opts & { instance?: string }) => {
      const s = await ctx.client.restart(name, o.instance);
      print(out, o.output!, s, () => services.statusLine('Restarting', s));
    });
  program
    .command('diff')
    .description('show what changed between two revisions')
    .argument('<name>')
    .argument('<from>')
    .argument('<to>')
    .addOption(outputOption())
    .action(async (name: string, from: string, to: string, o: Opts) => {
      const d = await ctx.client.diff(name, services.parseCount(from, 'from', 1), services.parseCount(to, 'to', 1));
      print(out, o.output!, d, () =>
        d.changes.length === 0
          ? [`revisions ${d.from} and ${d.to} are the same`]
          : d.changes.map((c) => `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`),
      );
    });
  program
    .command('queue')
    .description("show an async service's input and sink queues: length, consumers, oldest item")
    .argument('<name>')
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      const q = await services.queue(ctx, name);
      print(out, o.output!, q, () => services.queueTable(q));
    });
  program
    .command('revisions')
    .description("list a service's revisions")
    .argument('<name>')
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      const data = await services.revisions(ctx, name);
      print(out, o.output!, data.revisions, () => services.revisionsTable(data));
    });
  program
    .command('events')
    .description("list a service's events")
    .argument('<name>')
    .option('--since <id>', 'only events after this id')
    .option('--limit <n>', 'at most this many (the newest)')
    .option('-w, --watch', 'then print each new event as it happens, until Ctrl-C')
    .addOption(outputOption())
    .action(async (name: string, o: Opts) => {
      if (o.watch) {
        await observe.watchEvents(ctx, name, o as { since?: string; limit?: string; output?: string });
        return;
      }
      const list = await observe.events(ctx, name, o as { since?: string; limit?: string });
      print(out, o.output!, list, () => observe.eventsTable(list));
    });
  program
    .command('logs')
    .description("print a service's logs; -f follows until Ctrl-C")
    .argument('<name>')
    .option('--instance <id>', 'one instance (default: all, each line prefixed)')
    .option('--tail <n>', 'last N lines (default 200)')
    .option('-f, --follow', 'stream new output until Ctrl-C')
    .action((name: string, o: observe.LogsOptions) => observe.logs(ctx, name, o));
  registerGroupCommands(program, ctx);
  return program;
}

export { createClient };

/** `pier autoscale` flags → the `autoscaler` part of a partial spec (null removes it). */
export function autoscalerPatch(o: Record<string, string | boolean | undefined>): Record<string, unknown> | null {
  if (o.off) return null;
  const num = (key: string, min: number) =>
    o[key] === undefined ? undefined : services.parseCount(String(o[key]), `--${key}`, min);
  const patch: Record<string, unknown> = {};
  const min = num('min', 0);
  const max = num('max', 1);
  if (min !== undefined) patch.min = min;
  if (max !== undefined) patch.max = max;
  const flags = { qps: 'qps', cpu: 'cpu', concurrency: 'concurrency', backlog: 'queue[avgbacklog]' } as const;
  const strategies = Object.entries(flags)
    .filter(([flag]) => o[flag] !== undefined)
    .map(([flag, metricName]) => ({ metricName, threshold: Number(o[flag]) }));
  if (strategies.length > 0) patch.scaleStrategies = strategies;
  if (Object.keys(patch).length === 0)
    throw new CliError(2, 'pass --min/--max and a target such as --qps 10, or --off');
  return patch;
}
