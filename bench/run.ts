// `npm run bench -- NAME [args]` runs bench/NAME.ts; `npm run bench` lists them.
// Each benchmark prints its own figures and a ratio against a peer measured in the same run.
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const dir = new URL('.', import.meta.url);
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const name = process.argv[2];
if (!name || !available.includes(name)) {
  if (name) process.stderr.write(`bench: no benchmark named "${name}"\n`);
  process.stdout.write(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none yet)'}\n`);
  process.exit(name ? 1 : 0);
}
process.argv.splice(2, 1);
await import(pathToFileURL(new URL(`${name}.ts`, dir).pathname).href);
