// Running nested steps (foreach, parallel) in a child context that sees the parent's data plus
// its own outputs, without touching the parent.
import type { ConfigMap, PipelineContext, Step } from '../../engine/index.ts';

export interface ChildContext extends PipelineContext {
  readonly stepOutputs: Record<string, ConfigMap>;
  current: ConfigMap;
}

export function childContext(parent: PipelineContext, extra: ConfigMap): ChildContext {
  return {
    triggerData: parent.triggerData,
    stepOutputs: { ...parent.stepOutputs },
    current: { ...parent.current, ...extra },
    metadata: parent.metadata,
    http: parent.http,
    signal: parent.signal,
    pipelineName: parent.pipelineName,
    logger: parent.logger,
    strictTemplates: parent.strictTemplates,
    onFinish: parent.onFinish ? (listener) => parent.onFinish!(listener) : undefined,
  };
}

/** Run steps in order in `pc`; returns the merged outputs of the steps that ran. */
export async function runSteps(steps: readonly Step[], pc: ChildContext): Promise<ConfigMap> {
  const merged: ConfigMap = {};
  for (const step of steps) {
    if (pc.signal.aborted) throw new Error('cancelled');
    const result = await step.execute(pc);
    const output = result?.output ?? {};
    pc.stepOutputs[step.name] = output;
    Object.assign(pc.current, output);
    Object.assign(merged, output);
    if (result?.stop) break;
  }
  return merged;
}

/** Run tasks with at most `limit` in flight, keeping result order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
