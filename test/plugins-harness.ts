// Start real apps (the real engine + core plugins) from YAML in a temp dir, on 127.0.0.1:0, for the
// data/state plugins' behavioural tests. `restart()` stops the app and starts the same config on the
// same data dir, as a process restart would.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

export interface RunningApp {
  engine: Engine;
  url: string;
  dir: string;
  dataDir: string;
  restart(): Promise<RunningApp>;
  stop(): Promise<void>;
}

export async function startApp(
  t: { after(fn: () => Promise<void> | void): void },
  yaml: string,
  opts: { files?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<RunningApp> {
  const dir = mkdtempSync(join(tmpdir(), 'wf-plugins-'));
  const dataDir = join(dir, 'data');
  writeFileSync(join(dir, 'workflow.yaml'), yaml);
  for (const [name, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  let current: Engine | undefined;
  const launch = async (): Promise<RunningApp> => {
    const engine = await Engine.fromFile(join(dir, 'workflow.yaml'), {
      plugins: corePlugins,
      logger: silentLogger(),
      dataDir,
      httpAddress: '127.0.0.1:0',
      env: { ...process.env, ...(opts.env ?? {}) },
    });
    await engine.start();
    current = engine;
    const address = engine.address();
    return {
      engine,
      url: address ? `http://127.0.0.1:${address.port}` : '',
      dir,
      dataDir,
      restart: async () => {
        await engine.stop({ drainTimeoutMs: 500 });
        return launch();
      },
      stop: () => engine.stop({ drainTimeoutMs: 500 }),
    };
  };
  t.after(async () => {
    await current?.stop({ drainTimeoutMs: 500 });
    rmSync(dir, { recursive: true, force: true });
  });
  return launch();
}
