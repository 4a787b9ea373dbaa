// The live log tail of an app: every pod of the app followed at once (client-node's Log, i.e. the
// pods/log API with follow=true), lines pushed as they come; pods that appear later (a rollout) are
// picked up by a re-list every few seconds, and pods that go away end their follow by themselves.
import { Writable } from 'node:stream';
import { Log, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LogLine } from '../api-types.ts';

export interface LogTailOptions {
  namespace: string;
  listPods: () => Promise<KubernetesObject[]>;
  onLine: (line: LogLine) => void;
  onNotice: (message: string) => void;
  tailLines?: number;
  relistMs?: number;
  maxPods?: number;
  logger: Logger;
}

export function tailAppLogs(kc: KubeConfig, opts: LogTailOptions): { stop(): void } {
  const log = new Log(kc);
  const following = new Map<string, AbortController | undefined>();
  let stopped = false;
  const maxPods = opts.maxPods ?? 10;

  const follow = async (pod: KubernetesObject) => {
    const name = pod.metadata!.name!;
    const container =
      (pod as { spec?: { containers?: Array<{ name: string }> } }).spec?.containers?.[0]?.name ?? 'engine';
    following.set(name, undefined);
    let partial = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (!stopped) opts.onLine({ pod: name, line });
        done();
      },
    });
    sink.on('finish', () => {
      if (partial && !stopped) opts.onLine({ pod: name, line: partial });
      following.delete(name);
    });
    try {
      const controller = await log.log(opts.namespace, name, container, sink, {
        follow: true,
        tailLines: opts.tailLines ?? 100,
      });
      if (stopped) controller.abort();
      else if (following.has(name)) following.set(name, controller);
    } catch (err) {
      following.delete(name);
      opts.logger.debug({ pod: name, err: (err as Error).message }, 'log follow failed');
    }
  };

  const relist = async () => {
    if (stopped) return;
    try {
      const pods = (await opts.listPods()).filter((p) => {
        const phase = (p as { status?: { phase?: string } }).status?.phase;
        return phase === 'Running' || phase === 'Succeeded' || phase === 'Failed';
      });
      for (const pod of pods.slice(0, maxPods)) if (!following.has(pod.metadata!.name!)) void follow(pod);
      if (pods.length > maxPods) opts.onNotice(`showing the logs of ${maxPods} of ${pods.length} pods`);
    } catch (err) {
      opts.onNotice(`cannot list the app's pods: ${(err as Error).message}`);
    }
  };
  void relist();
  const timer = setInterval(relist, opts.relistMs ?? 3000);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const controller of following.values()) controller?.abort();
      following.clear();
    },
  };
}
