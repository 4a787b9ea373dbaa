// A test-only plugin: `test.record` remembers what each run saw, `test.fail` throws its `message`.
// Lets a test assert "the subscriber pipeline ran with this data" without depending on other plugins.
import type { ConfigMap, EnginePlugin } from '../../engine/index.ts';

export interface Recorder {
  plugin: EnginePlugin;
  /** Snapshots of Current, per pipeline name, in run order. */
  runs: Array<{ pipeline: string; step: string; current: ConfigMap }>;
  /** Resolves with the next recorded run (for async deliveries). */
  next(): Promise<{ pipeline: string; step: string; current: ConfigMap }>;
}

export function createRecorder(): Recorder {
  const runs: Recorder['runs'] = [];
  let waiters: Array<(run: Recorder['runs'][number]) => void> = [];
  const recorder: Recorder = {
    runs,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    plugin: {
      manifest: {
        name: 'test-recorder',
        version: '0.0.0',
        description: 'records step runs in tests',
        tier: 'community',
      },
      steps: {
        'test.record': (spec) => ({
          name: spec.name,
          type: spec.type,
          async execute(ctx) {
            const run = { pipeline: ctx.pipelineName, step: spec.name, current: structuredClone(ctx.current) };
            runs.push(run);
            const pending = waiters;
            waiters = [];
            for (const w of pending) w(run);
            return { output: { recorded: true } };
          },
        }),
        'test.fail': (spec) => ({
          name: spec.name,
          type: spec.type,
          async execute() {
            throw new Error(String(spec.config.message ?? 'test.fail'));
          },
        }),
      },
    },
  };
  return recorder;
}
