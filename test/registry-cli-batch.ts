// Runs several wfctl command lines in one process (a wfctl start costs seconds of TypeScript
// loading) and prints their exit codes and output as JSON. Used by registry-cli.test.ts:
//   node --import tsx test/registry-cli-batch.ts '[["registry","validate","."], ...]'
import { main } from '../cli/main.ts';

const runs = JSON.parse(process.argv[2]!) as string[][];
const results: Array<{ args: string[]; code: number; stdout: string; stderr: string }> = [];
const real = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
for (const args of runs) {
  const out: string[] = [];
  const err: string[] = [];
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['node', 'wfctl', ...args]);
  } finally {
    process.stdout.write = real.out;
    process.stderr.write = real.err;
  }
  process.exitCode = undefined;
  results.push({ args, code, stdout: out.join(''), stderr: err.join('') });
}
real.out(`${JSON.stringify(results)}\n`);
