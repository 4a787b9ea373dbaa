// The sync job: bring the served index up to the registry branch head. Runs on a node-cron schedule
// and on demand (push webhooks, our git server's notify). Never two at once: a trigger during a run
// is coalesced into one follow-up run. A commit with errors is refused as a whole and reported; the
// previous index keeps being served. Accepted indexes are persisted, then swapped in atomically.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { GitCommitTree } from './git-tree.ts';
import type { RegistrySource } from './git-source.ts';
import type { IndexStore, RefusedCommit } from './index-store.ts';
import { isError, type Problem } from './problem.ts';
import {
  allRefusals,
  emptyPublishedState,
  publishIndex,
  versionKey,
  type PublishedState,
  type Refusal,
} from './published.ts';
import { buildIndex, restoreIndex, updateIndex, type ArchiveFacts, type RegistryIndex } from './registry-index.ts';
import type { TreeChange } from './tree.ts';

/** What the API serves: one accepted revision. Replaced as a whole, never mutated. */
export interface RegistrySnapshot {
  index: RegistryIndex;
  published: PublishedState;
  /** Increments on every swap; caches key on it. */
  generation: number;
  syncedAt: Date;
}

export type SyncResult =
  | { outcome: 'unchanged'; revision: string }
  | {
      outcome: 'updated';
      revision: string;
      previous?: string;
      changedPaths: number;
      durationMs: number;
      refusedVersions: string[];
      historyRewritten?: boolean;
    }
  | { outcome: 'refused'; revision: string; errors: Problem[] }
  | { outcome: 'failed'; error: string; hint?: string };

export interface SyncStatus {
  source: string;
  branch: string;
  state: 'idle' | 'syncing';
  /** The revision being served. */
  revision: string | null;
  syncedAt: string | null;
  ageSeconds: number | null;
  lastAttemptAt: string | null;
  lastResult: SyncResult | null;
  schedule: string | null;
  plugins: number;
  refusedCommits: RefusedCommit[];
  refusedVersions: Array<Pick<Refusal, 'id' | 'version' | 'file' | 'revision'> & { message: string; hint: string }>;
  warnings: string[];
}

export interface RegistrySyncOptions {
  source: RegistrySource;
  store?: IndexStore;
  logger: Logger;
  /** Called after each swap (metrics, caches). */
  onSwap?: (snapshot: RegistrySnapshot) => void;
  /** Called after every sync run. */
  onResult?: (result: SyncResult) => void;
  /** How many refused commits the status keeps. */
  keepRefused?: number;
}

export class RegistrySync {
  private snapshot: RegistrySnapshot | undefined;
  private archiveFacts = new Map<string, ArchiveFacts>();
  private running: Promise<SyncResult> | undefined;
  private rerun = false;
  private task: ScheduledTask | undefined;
  private schedule: string | null = null;
  private lastAttemptAt: Date | null = null;
  private lastResult: SyncResult | null = null;
  private refusedCommits: RefusedCommit[] = [];
  private readonly warnings: string[] = [];

  constructor(private readonly opts: RegistrySyncOptions) {}

  get source(): RegistrySource {
    return this.opts.source;
  }

  current(): RegistrySnapshot | undefined {
    return this.snapshot;
  }

  /** Serve the persisted state right away (before any network access). */
  async restore(): Promise<boolean> {
    const stored = this.opts.store?.load();
    if (!stored) return false;
    this.refusedCommits = stored.refusedCommits;
    this.archiveFacts = stored.archiveFacts;
    try {
      const tree = new GitCommitTree(this.opts.source, stored.revision);
      const index = await restoreIndex(tree, stored.files, stored.templates, stored.keys, {
        archiveFacts: this.archiveFacts,
      });
      this.swap({ index, published: stored.published, generation: 1, syncedAt: new Date(stored.syncedAt) });
      this.opts.logger.info(
        { revision: stored.revision, plugins: index.plugins.size },
        'restored registry index from store',
      );
      return true;
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'stored index could not be restored; rebuilding from git');
      return false;
    }
  }

  /** Run a sync now, or join the one in progress (and schedule one more after it). */
  trigger(reason: string): Promise<SyncResult> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.run(reason).finally(() => {
      this.running = undefined;
      if (this.rerun) {
        this.rerun = false;
        void this.trigger('coalesced trigger');
      }
    });
    return this.running;
  }

  /** node-cron expression, e.g. every minute: `* * * * *`. */
  start(schedule: string): void {
    if (!cron.validate(schedule))
      throw new Error(`invalid cron schedule "${schedule}"; e.g. "*/5 * * * *" for every five minutes`);
    this.stop();
    this.schedule = schedule;
    this.task = cron.schedule(schedule, () => void this.trigger('schedule'), {
      noOverlap: true,
      name: 'registry-sync',
    });
  }

  stop(): void {
    void this.task?.destroy();
    this.task = undefined;
    this.schedule = null;
  }

  /** Wait for a running sync (shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  status(): SyncStatus {
    const s = this.snapshot;
    const published = s?.published ?? emptyPublishedState;
    return {
      source: this.opts.source.description,
      branch: this.opts.source.branch,
      state: this.running ? 'syncing' : 'idle',
      revision: s?.index.revision ?? null,
      syncedAt: s?.syncedAt.toISOString() ?? null,
      ageSeconds: s ? Math.round((Date.now() - s.syncedAt.getTime()) / 1000) : null,
      lastAttemptAt: this.lastAttemptAt?.toISOString() ?? null,
      lastResult: this.lastResult,
      schedule: this.schedule,
      plugins: s?.index.plugins.size ?? 0,
      refusedCommits: this.refusedCommits,
      refusedVersions: allRefusals(published).map((r) => ({
        id: r.id,
        version: r.version,
        file: r.file,
        revision: r.revision,
        message: r.problem.message,
        hint: r.problem.hint,
      })),
      warnings: [...this.warnings],
    };
  }

  private async run(reason: string): Promise<SyncResult> {
    const started = performance.now();
    this.lastAttemptAt = new Date();
    const log = this.opts.logger;
    let result: SyncResult;
    try {
      result = await this.syncOnce(started);
    } catch (err) {
      const e = err as Error & { hint?: string };
      result = { outcome: 'failed', error: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    }
    this.lastResult = result;
    this.opts.onResult?.(result);
    if (result.outcome === 'failed') log.error({ reason, error: result.error }, 'registry sync failed');
    else if (result.outcome === 'refused')
      log.warn({ reason, revision: result.revision, errors: result.errors.length }, 'registry commit refused');
    else if (result.outcome === 'updated')
      log.info(
        { reason, revision: result.revision, changedPaths: result.changedPaths, ms: result.durationMs },
        'registry index updated',
      );
    return result;
  }

  private async syncOnce(started: number): Promise<SyncResult> {
    const source = this.opts.source;
    const head = await source.update();
    const prev = this.snapshot;
    if (prev && prev.index.revision === head) return { outcome: 'unchanged', revision: head };
    if (this.refusedCommits.some((c) => c.revision === head)) {
      // Already refused; nothing new to say until the branch moves.
      return {
        outcome: 'refused',
        revision: head,
        errors: this.refusedCommits.find((c) => c.revision === head)!.problems,
      };
    }

    const tree = new GitCommitTree(source, head);
    let changes: TreeChange[] | undefined;
    let historyRewritten: boolean | undefined;
    if (prev) {
      if ((await source.isAncestor(prev.index.revision, head)) === false) {
        historyRewritten = true;
        this.warn(
          `history rewritten: ${prev.index.revision.slice(0, 12)} is not an ancestor of ${head.slice(0, 12)} ` +
            `(force-push); published versions stay immutable`,
        );
      }
      changes = await tree.changesSince(prev.index.revision).catch(() => undefined);
    }
    const ctx = { archiveFacts: this.archiveFacts };
    const index = prev && changes ? await updateIndex(prev.index, tree, changes, ctx) : await buildIndex(tree, ctx);

    const errors = index.problems.filter(isError);
    if (errors.length > 0) {
      this.refusedCommits = [
        { revision: head, at: new Date().toISOString(), problems: errors.slice(0, 100), errorCount: errors.length },
        ...this.refusedCommits,
      ].slice(0, this.opts.keepRefused ?? 20);
      this.opts.store?.saveRefusedCommits(this.refusedCommits);
      return { outcome: 'refused', revision: head, errors };
    }

    const touched = changes
      ? new Set(changes.filter((c) => c.path.startsWith('plugins/')).map((c) => c.path.split('/')[1]!))
      : undefined;
    const published = await publishIndex(prev?.published ?? emptyPublishedState, index, tree, touched);
    const next: RegistrySnapshot = { index, published, generation: (prev?.generation ?? 0) + 1, syncedAt: new Date() };
    this.opts.store?.save(
      { index, published, syncedAt: next.syncedAt.toISOString(), archiveFacts: this.archiveFacts },
      prev && changes ? prev : undefined,
    );
    this.swap(next);
    const newRefusals = allRefusals(published)
      .filter((r) => !prev?.published.refusals.get(r.id)?.has(r.version))
      .map((r) => versionKey(r.id, r.version));
    return {
      outcome: 'updated',
      revision: head,
      ...(prev ? { previous: prev.index.revision } : {}),
      changedPaths: changes?.length ?? index.files.size,
      durationMs: Math.round(performance.now() - started),
      refusedVersions: newRefusals,
      ...(historyRewritten ? { historyRewritten } : {}),
    };
  }

  private swap(snapshot: RegistrySnapshot): void {
    this.snapshot = snapshot;
    this.opts.onSwap?.(snapshot);
  }

  private warn(message: string): void {
    this.opts.logger.warn(message);
    this.warnings.unshift(`${new Date().toISOString()} ${message}`);
    this.warnings.length = Math.min(this.warnings.length, 20);
  }
}
