// Summarise a V8 .cpuprofile (written by `node --cpu-prof`): the functions with the most self time,
// so a benchmark can print where a server spends its CPU. Standalone:
// `node --import tsx bench/_cpuprofile.ts FILE.cpuprofile [N]`.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface Frame {
  /** function (file:line), paths relative to the repository. */
  name: string;
  selfPct: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));

const sourceMaps = new Map<string, SourceMap | undefined>();

/** The bundle's linked source map (dist/*.js.map), so frames name the source file and line. */
function sourceMapOf(file: string): SourceMap | undefined {
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
  }
  return sourceMaps.get(file);
}

function frameName(cf: ProfileNode['callFrame']): string {
  const fn = cf.functionName || '(anonymous)';
  if (!cf.url.startsWith('file://')) return cf.url ? `${fn} (${cf.url}:${cf.lineNumber + 1})` : fn;
  const file = fileURLToPath(cf.url);
  const entry = sourceMapOf(file)?.findEntry(cf.lineNumber, cf.columnNumber);
  if (entry && 'originalSource' in entry) {
    const source = resolve(dirname(file), entry.originalSource);
    return `${fn} (${relative(root, source)}:${entry.originalLine + 1})`;
  }
  return `${fn} (${relative(root, file)}:${cf.lineNumber + 1})`;
}

/** The `n` frames with the most self time, as a share of all samples (idle and GC included). */
export function topFrames(file: string, n = 15): { frames: Frame[]; idlePct: number; gcPct: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + hits);
  }
  const pct = (hits: number) => (total === 0 ? 0 : (hits * 100) / total);
  const idlePct = pct(self.get('(idle)') ?? 0);
  const gcPct = pct(self.get('(garbage collector)') ?? 0);
  const frames = [...self.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, selfPct: pct(hits) }));
  return { frames, idlePct, gcPct };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, n] = process.argv.slice(2);
  const { frames, idlePct } = topFrames(file!, Number(n ?? 20));
  process.stdout.write(`idle ${idlePct.toFixed(1)}%\n`);
  for (const f of frames) process.stdout.write(`${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}\n`);
}
