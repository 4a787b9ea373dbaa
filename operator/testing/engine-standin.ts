// Builds engine-standin.c once per source version (cc, in the temp dir) and returns the binary.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '../render/hash.ts';

const source = new URL('./engine-standin.c', import.meta.url).pathname;

export function engineStandinBinary(): string {
  const hash = sha256Hex(readFileSync(source, 'utf8')).slice(0, 12);
  const dir = join(tmpdir(), 'wf-engine-standin');
  const bin = join(dir, `engine-standin-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const partial = `${bin}.${process.pid}`;
  try {
    execFileSync('cc', ['-O2', '-o', partial, source], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(
      `cannot build the engine stand-in (needs a C compiler, cc): ${(err as { stderr?: Buffer }).stderr?.toString() ?? (err as Error).message}`,
    );
  }
  renameSync(partial, bin);
  return bin;
}
