// wfctl up: the whole platform in one process tree on 127.0.0.1 (what `npm start` runs): devcluster
// with the CRDs, the git server with registry.git and apps.git, the registry API, the operator and the
// web console. Progress as "step N of M", then a table of URLs and tokens, and DATA/platform.json for
// scripts. Ctrl-C or SIGTERM stops everything; the next start reuses the data dir.
import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Level, Logger } from 'pino';
import { CliError, formatTable } from '../output.ts';
import { parsePort } from './registry.ts';

interface UpFlags {
  data: string;
  portBase: string;
  kubeconfig?: string;
  logLevel: string;
}

const loadPlatform = () => import('../../platform/index.ts');

export function register(program: Command): void {
  program
    .command('up')
    .description('start the whole platform locally: cluster, git server, registry, operator and web console')
    .option('--data <dir>', 'where the platform keeps its state (reused by the next start)', '.wfctl')
    .option('--port-base <n>', 'first of the 7 consecutive ports on 127.0.0.1 (0: free ports)', '7700')
    .option('--kubeconfig <file>', 'use this existing cluster instead of starting devcluster')
    .option('--log-level <level>', 'debug, info, warn or error (logs go to DATA/logs/up.log)', 'info')
    .action(async (flags: UpFlags) => {
      if (!['debug', 'info', 'warn', 'error'].includes(flags.logLevel))
        throw new CliError(`--log-level must be debug, info, warn or error (got "${flags.logLevel}")`);
      const portBase = parsePort(flags.portBase, '--port-base');
      const { defaultPortBase, planPorts, startPlatform, PortInUseError, StepFailedError, portOffsets } =
        await loadPlatform();
      try {
        planPorts(portBase);
      } catch (err) {
        throw new CliError(`--port-base: ${(err as Error).message}`);
      }
      const dataDir = resolve(flags.data);
      const logFile = join(dataDir, 'logs', 'up.log');
      mkdirSync(join(dataDir, 'logs'), { recursive: true });
      const logger = await platformLogger(logFile, flags.logLevel);
      const out = process.stdout;
      const lastPort = portBase + Math.max(...Object.values(portOffsets));
      out.write(
        `Starting the workflow platform in ${displayPath(dataDir)} ` +
          `(${portBase === 0 ? 'free ports' : `ports ${portBase}-${lastPort}`} on 127.0.0.1)\n`,
      );
      let stopRequested: string | undefined;
      const early = (signal: string) => (stopRequested = signal);
      process.once('SIGINT', early);
      process.once('SIGTERM', early);
      let platform;
      try {
        platform = await startPlatform({
          dataDir,
          portBase,
          kubeconfig: flags.kubeconfig,
          logger,
          startedAt: 0, // elapsed times include loading wfctl
          // steps run side by side where they can: each line is printed when its step is done
          onProgress: (e) => {
            const head = `  step ${e.index} of ${e.total}  ${e.title}`;
            if (e.kind === 'done')
              out.write(
                `${head}  ${e.detail ? `${e.detail}  ` : ''}(${seconds(e.ms)}, ${seconds(e.elapsedMs)} elapsed)\n`,
              );
            else out.write(`${head}  FAILED after ${seconds(e.ms)}\n`);
          },
        });
      } catch (err) {
        logger.flush();
        if (err instanceof StepFailedError && err.cause instanceof PortInUseError) {
          const next = portBase === defaultPortBase ? defaultPortBase + 100 : portBase + 100;
          throw new CliError(err.cause.message, {
            hint:
              `stop what uses port ${err.cause.port}, or move every port: wfctl up --port-base ${next} ` +
              `(npm start -- --port-base ${next})`,
          });
        }
        if (err instanceof StepFailedError)
          throw new CliError(err.message, { hint: `the log has details: ${displayPath(logFile)}` });
        throw err;
      } finally {
        process.off('SIGINT', early);
        process.off('SIGTERM', early);
      }
      const info = platform.info;
      out.write(`\nThe platform is up (${seconds(performance.now())} since wfctl started).\n\n`);
      out.write(
        formatTable(
          ['what', 'where', 'credentials'],
          [
            ['console', info.consoleUrl, `login token ${info.consoleToken}`],
            ['registry API', info.registryUrl, ''],
            ['apps repo', info.appsRepoUrl, `user wfctl, token ${info.gitToken}`],
            ['registry repo', info.registryRepoUrl, `user wfctl, token ${info.gitToken}`],
            ['kubeconfig', info.kubeconfig, ''],
            ['license server', info.licenseUrl, 'development license, tenant default'],
            ['details', displayPath(platform.infoPath), `logs: ${displayPath(logFile)}`],
          ],
        ).replace(/^(?=.)/gm, '  '),
      );
      const cloneUrl = info.appsRepoUrl.replace('http://', `http://wfctl:${info.gitToken}@`);
      out.write(
        '\nTry:\n' +
          `  git clone ${cloneUrl} ../apps    # add a WorkflowApp there, commit, git push: it is deployed\n` +
          `  kubectl --kubeconfig ${info.kubeconfig} get wfa,wfs\n` +
          `  npx wfctl plugin search --registry ${info.registryUrl}\n` +
          '\nPress Ctrl-C to stop.\n',
      );
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          out.write(`\n${signal}: stopping the platform...\n`);
          platform.stop().then(done, (err: Error) => {
            logger.error({ err: err.message }, 'stop failed');
            done();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (stopRequested) stop(stopRequested);
      });
      out.write('Stopped.\n');
      logger.flush();
      // informers, keep-alive agents and timers of stopped parts must not keep the process alive
      process.exit(0);
    });
}

async function platformLogger(file: string, level: string): Promise<Logger> {
  const { destination, multistream, pino } = await import('pino');
  return pino(
    { level, base: { pid: process.pid } },
    multistream([
      { level: level as Level, stream: destination({ dest: file, append: true, sync: true }) },
      { level: 'error', stream: destination(2) },
    ]),
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
