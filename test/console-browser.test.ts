// The web console in headless Chromium against a running `wfctl up`: login, the Apps page updated
// live as an app is pushed to apps.git, the app's page, "Sync now", the registry and the tenants
// (console-walkthrough.ts). Screenshots of every page land in artifacts/screenshots.
import { join } from 'node:path';
import { after, test } from 'node:test';
import { walkThroughConsole } from './console-walkthrough.ts';
import { removeDir, startUp, tempDir, type RunningUp } from './platform-support.ts';

const dir = tempDir('wfctl-console-browser-');
let up: RunningUp | undefined;
after(async () => {
  await up?.stop('SIGKILL').catch(() => undefined);
  removeDir(dir);
});

test('the console in Chromium: login, live apps, an app pushed to apps.git, Sync now, registry, tenants', async () => {
  up = await startUp({ dataDir: join(dir, 'data') });
  await walkThroughConsole(up.info, { workDir: dir, pushed: 'walkthrough' });
  const stopped = await up.stop('SIGTERM');
  up = undefined;
  if (stopped.code !== 0 || stopped.survivors.length) throw new Error(`stop: ${JSON.stringify(stopped)}`);
});
