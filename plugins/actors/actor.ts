// One actor: an identity, private state, and a mailbox that runs its messages one at a time, in
// arrival order (the actor model's guarantee: handlers never race on the actor's state). A handler
// is the pipeline `workflows.actors.pools.<pool>.receive.<type>`; it sees `.message.type`,
// `.message.payload`, `.state` (a copy) and `.actor.identity`/`.actor.pool`. Its answer is every
// step output merged, in step order; on success that answer is merged into the state (upstream),
// on failure the state is left as it was.
import type { ConfigMap, PipelineContext, WorkflowRunner } from '../../engine/index.ts';

export interface ActorMessage {
  type: string;
  payload: ConfigMap;
}

/** The pipeline that handles `type` in `pool`. */
export const handlerPipelineName = (pool: string, type: string) => `actor:${pool}:${type}`;

export class Actor {
  private state: ConfigMap = {};
  private mailbox: Promise<unknown> = Promise.resolve();
  private pending = 0;

  constructor(
    readonly pool: string,
    readonly identity: string,
    private readonly workflows: WorkflowRunner,
  ) {}

  /** Messages queued or running. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Resolves once every message queued so far has run. */
  idle(): Promise<void> {
    return this.mailbox.then(() => undefined);
  }

  snapshot(): ConfigMap {
    return { ...this.state };
  }

  /** Queue `msg`; resolves with the handler's answer once the messages before it have run. */
  deliver(msg: ActorMessage): Promise<ConfigMap> {
    this.pending++;
    const run = this.mailbox.then(() => this.handle(msg));
    this.mailbox = run.catch(() => undefined);
    return run.finally(() => this.pending--);
  }

  private async handle(msg: ActorMessage): Promise<ConfigMap> {
    const pipeline = handlerPipelineName(this.pool, msg.type);
    if (!this.workflows.hasPipeline(pipeline))
      throw new Error(`actor pool "${this.pool}": no handler for message type "${msg.type}"`);
    let pc: PipelineContext;
    try {
      pc = await this.workflows.run(pipeline, {
        message: { type: msg.type, payload: msg.payload },
        state: this.snapshot(),
        actor: { identity: this.identity, pool: this.pool },
      });
    } catch (err) {
      throw new Error(
        `actor "${this.identity}" (pool "${this.pool}"), handler "${msg.type}": ${(err as Error).message}`,
      );
    }
    const answer: ConfigMap = {};
    for (const output of Object.values(pc.stepOutputs)) Object.assign(answer, output);
    Object.assign(this.state, answer);
    return answer;
  }
}
