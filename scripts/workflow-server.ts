// Upstream's server binary (`cmd/server`, UPSTREAM.md 9.3) outside a cluster: its flags (-config,
// -data-dir, -addr, -plugin-dir, ...) become `wfctl run` arguments and environment exactly as for the
// workflow-server:* images on devcluster (one translator, translateServerArgs), and the engine runs
// with them. `npm run conformance` hands it to upstream's scripts that start a server of their own
// (WORKFLOW_SERVER in scenario 24's test/run.sh).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { translateServerArgs } from '../devcluster/index.ts';

const wfctl = fileURLToPath(new URL('../bin/wfctl.js', import.meta.url));

let translated: { args: string[]; env: Record<string, string> };
try {
  translated = translateServerArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`workflow-server: ${(e as Error).message}\n`);
  process.exit(2);
}
const child = spawn(process.execPath, [wfctl, ...translated.args], {
  stdio: 'inherit',
  // upstream reads a flag first and falls back to the environment: a flag wins over the variable
  env: { ...process.env, ...translated.env },
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
