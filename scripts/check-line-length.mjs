#!/usr/bin/env node
// Fails when a line of code is over 120 characters (STYLE.md). Biome's formatter wraps code at 120
// but leaves long strings, template literals and comments as they are; this catches those. Checks the
// files git tracks (or the paths given), TypeScript and JavaScript; vendored upstream data is not ours.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const limit = 120;
const args = process.argv.slice(2);
const files = execFileSync('git', ['ls-files', '-z', '--', ...(args.length > 0 ? args : ['.'])], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => /\.(ts|mts|js|mjs|cjs)$/.test(f) && !f.startsWith('test/fixtures/corpus/'));
let over = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the working tree
  }
  text.split('\n').forEach((line, i) => {
    // characters as an editor counts them (code points), not UTF-16 units
    const length = [...line].length;
    if (length <= limit) return;
    over++;
    process.stdout.write(`${file}:${i + 1}: ${length} characters (at most ${limit})\n`);
  });
}
if (over > 0) {
  process.stdout.write(`${over} line(s) over ${limit} characters: split the string or comment\n`);
  process.exit(1);
}
