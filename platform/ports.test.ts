import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { PortInUseError, planPorts, portOffsets, reservePorts } from './ports.ts';

test('--port-base moves every port; 0 plans free ports', () => {
  const plan = planPorts(7700);
  assert.deepEqual(plan, {
    console: 7700,
    registry: 7701,
    git: 7702,
    cluster: 7703,
    license: 7704,
    operator: 7705,
    webhook: 7706,
  });
  const moved = planPorts(9000);
  for (const k of Object.keys(portOffsets) as Array<keyof typeof portOffsets>)
    assert.equal(moved[k] - plan[k], 1300, k);
  assert.ok(Object.values(planPorts(0)).every((p) => p === 0));
  for (const bad of [-1, 1.5, 65530, Number.NaN]) assert.throws(() => planPorts(bad), /port base/);
});

test('free ports are distinct; a taken port is named with its component', async () => {
  const free = await reservePorts(planPorts(0), ['console', 'registry', 'git', 'operator'], '127.0.0.1');
  const chosen = [free.console, free.registry, free.git, free.operator];
  assert.ok(chosen.every((p) => p > 0));
  assert.equal(new Set(chosen).size, 4);

  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const taken = (blocker.address() as { port: number }).port;
  try {
    const plan = { ...planPorts(0), registry: taken };
    await assert.rejects(reservePorts(plan, ['console', 'registry'], '127.0.0.1'), (err: Error) => {
      assert.ok(err instanceof PortInUseError);
      assert.equal(err.component, 'registry');
      assert.equal(err.port, taken);
      assert.match(err.message, new RegExp(`port ${taken} on 127.0.0.1 \\(the registry API\\) is already in use`));
      return true;
    });
  } finally {
    blocker.close();
  }
});
