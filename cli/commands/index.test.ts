import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { commands } from './index.ts';

test('the command list is sorted by name, without duplicates', () => {
  const names = commands.map((c) => c.name);
  assert.deepEqual(names, [...new Set(names)].sort());
});

test("each command's module registers that command with the summary `wfctl --help` lists", async () => {
  for (const entry of commands) {
    const program = new Command('wfctl');
    (await entry.load()).register(program);
    const registered = program.commands.find((c) => c.name() === entry.name);
    assert.ok(registered, `${entry.name}: its module does not register a "${entry.name}" command`);
    assert.equal(registered.description(), entry.summary, `${entry.name}: summary differs from its description`);
  }
});

test('every top-level command a module registers is listed', async () => {
  const listed = new Set(commands.map((c) => c.name));
  for (const entry of commands) {
    const program = new Command('wfctl');
    (await entry.load()).register(program);
    for (const c of program.commands) assert.ok(listed.has(c.name()), `${c.name()} is registered but not listed`);
  }
});
