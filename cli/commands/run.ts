// wfctl run CONFIG: build and start a workflow app, serve until SIGINT/SIGTERM, then shut down
// gracefully (stop accepting, drain in-flight requests within --shutdown-timeout, stop modules).
// Honors the engine container contract: WORKFLOW_CONFIG, WORKFLOW_ADDR, WORKFLOW_DATA_DIR.
import type { Command } from 'commander';
import type { Engine } from '../../engine/index.ts';
import { CliError } from '../output.ts';

interface RunOptions {
  port?: string;
  addr?: string;
  logLevel?: string;
  dataDir?: string;
  shutdownTimeout: string;
  strict?: boolean;
  admin?: boolean;
  adminAddr?: string;
  pluginDir?: string;
  lock?: string;
}

/**
 * The listen address: WORKFLOW_ADDR / --addr (normalized) replaces the config's. --port replaces the
 * port of --addr / WORKFLOW_ADDR; given alone it means loopback (127.0.0.1:N), whatever host the config
 * names: a port picked on a developer's machine should not open the app to the network. To listen on
 * all interfaces, say so: --addr :N (or --addr 0.0.0.0:N).
 */
export function listenOverride(opts: { port?: string; addr?: string }): string | undefined {
  let address = opts.addr !== undefined && opts.addr !== '' ? opts.addr : undefined;
  if (opts.port !== undefined) {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new CliError(`--port must be 0..65535 (got "${opts.port}")`);
    const host = address === undefined ? '127.0.0.1' : (/^(.*):\d+$/.exec(address)?.[1] ?? '');
    address = `${host}:${port}`;
  }
  return address;
}

/** What a server is bound to, as it is: all interfaces said so, with the URL to use from this machine. */
export function listeningLine(a: { host: string; port: number; bindAddress?: string }): string {
  const url = (host: string) => `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  const bound = a.bindAddress ?? a.host;
  if (bound === '0.0.0.0' || bound === '::')
    return `listening on ${url(bound)} (all interfaces; from this machine: ${url(a.host)})`;
  return `listening on ${url(bound)}`;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a workflow app until interrupted (SIGINT/SIGTERM stop it gracefully)')
    .argument('[config]', 'workflow config file (default: $WORKFLOW_CONFIG)')
    .option('-p, --port <port>', 'listen port of the http.server (overrides the config)')
    .option('--addr <address>', 'listen address, e.g. 127.0.0.1:8080 or :8080 (default: $WORKFLOW_ADDR)')
    .option('--log-level <level>', 'debug, info, warn or error (default: info)')
    .option('--data-dir <dir>', 'where modules keep state (default: $WORKFLOW_DATA_DIR or ./data)')
    .option('--shutdown-timeout <duration>', 'how long to drain in-flight requests on shutdown', '10s')
    .option(
      '--strict',
      'refuse configs with mistakes upstream only meets at run time (by default they are warnings and fail ' +
        'only the requests that reach them)',
    )
    .option('--admin', 'also serve the admin API and dashboard (needs JWT_SECRET; see docs/plugins.md)')
    .option('--admin-addr <address>', 'listen address of the admin server', ':8081')
    .option('--plugin-dir <dir>', 'installed plugins (default: $WORKFLOW_PLUGIN_DIR or <data dir>/plugins)')
    .option('--lock <file>', 'plugin lock (default: $WORKFLOW_PLUGIN_LOCK or wfctl.lock beside the config)')
    .action(async (configArg: string | undefined, opts: RunOptions) => {
      const config = configArg ?? process.env.WORKFLOW_CONFIG;
      if (!config)
        throw new CliError('no config file given', {
          hint: 'wfctl run path/to/workflow.yaml (or set WORKFLOW_CONFIG)',
        });
      const {
        ConfigError,
        createLogger,
        Engine,
        formatIssue,
        loadConfigFile,
        normalizeAddress,
        parseDuration,
        readConfigFile,
      } = await import('../../engine/index.ts');
      const { AdminConfigError, withAdmin } = await import('../../plugins/index.ts');
      const { pluginLocations, pluginsForConfig, installLockedPlugins } = await import('../app-plugins.ts');
      let drainMs: number;
      try {
        drainMs = parseDuration(opts.shutdownTimeout);
      } catch (err) {
        throw new CliError(`--shutdown-timeout: ${(err as Error).message}`);
      }
      const addr = opts.addr ?? process.env.WORKFLOW_ADDR;
      const address = listenOverride({ port: opts.port, addr: addr ? normalizeAddress(addr) : undefined });
      const loaded = readConfigFile(config);
      const logger = createLogger({ level: opts.logLevel });
      const locations = pluginLocations(opts, config);
      // In a pod, the lock comes from the app's ConfigMap and the plugins are fetched and verified
      // now, before the server listens, so the pod is ready only with exactly the locked bytes.
      if (process.env.WORKFLOW_REGISTRY_URL)
        await installLockedPlugins(locations, process.env.WORKFLOW_REGISTRY_URL, logger);
      const plugins = await pluginsForConfig(loaded.config, loaded, locations);
      let engine: Engine;
      try {
        const engineOptions = {
          plugins,
          logger,
          httpAddress: address,
          dataDir: opts.dataDir,
          strict: opts.strict === true,
        };
        if (opts.admin) {
          const full = loadConfigFile(config);
          const merged = withAdmin(full.config, { address: normalizeAddress(opts.adminAddr ?? ':8081') });
          engine = await Engine.fromLoaded({ ...full, config: merged }, engineOptions);
        } else {
          engine = await Engine.fromFile(config, engineOptions);
        }
        await engine.start();
      } catch (err) {
        if (err instanceof AdminConfigError) throw new CliError(`--admin: ${err.message}`);
        if (err instanceof ConfigError) {
          for (const issue of err.issues) process.stderr.write(formatIssue(issue) + '\n');
          throw new CliError(
            `${config}: ${err.issues.length} config error${err.issues.length === 1 ? '' : 's'}; the app was ` +
              `not started`,
            { hint: `run \`wfctl validate ${config}\` for details` },
          );
        }
        throw new CliError(`cannot start ${config}: ${(err as Error).message}`);
      }
      for (const a of engine.addresses()) process.stdout.write(`${engine.name}: ${a.module} ${listeningLine(a)}\n`);
      if (engine.addresses().length === 0) process.stdout.write(`${engine.name}: running (no HTTP server)\n`);
      const keepAlive = setInterval(() => {}, 1 << 30);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) {
            process.stderr.write(`${signal} again: exiting immediately\n`);
            process.exit(1);
          }
          stopping = true;
          logger.info({ component: 'wfctl', signal }, 'shutting down');
          engine.stop({ drainTimeoutMs: drainMs }).then(
            () => resolve(),
            (err: Error) => {
              logger.error({ component: 'wfctl', err: err.message }, 'shutdown failed');
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      clearInterval(keepAlive);
      logger.flush?.();
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
}
