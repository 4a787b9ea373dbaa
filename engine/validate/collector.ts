// Where validation issues are gathered: each one located at file:line:column from the config's path
// (at the key itself for unknown or misspelled keys), with where it is in words and a hint.
import { closestMatch } from '../../common/index.ts';
import { formatJsonPath, type ConfigIssue } from '../config-issue.ts';
import type { LoadedConfig } from '../config-loader.ts';
import type { ConfigPath } from '../contract.ts';

export type ConfigMap = Record<string, unknown>;
export const isMap = (v: unknown): v is ConfigMap => v !== null && typeof v === 'object' && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** "Did you mean ...?": a candidate within a quarter of the name's length in edits (at least 2). */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  return closestMatch(name, candidates, Math.max(2, Math.floor(name.length / 4)));
}

/** Keys people write for the ones the engine reads (modules and steps). */
export const KEY_SPELLINGS: Record<string, string> = {
  depends_on: 'dependsOn',
  dependson: 'dependsOn',
  depends: 'dependsOn',
  skipIf: 'skip_if',
  onError: 'on_error',
  errorStatus: 'error_status',
};

export class Collector {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  constructor(readonly loaded: LoadedConfig) {}

  private make(
    path: ConfigPath,
    where: string,
    message: string,
    hint: string | undefined,
    atKey: boolean,
  ): ConfigIssue {
    const loc = atKey
      ? this.loaded.sourceMap.locateKey(this.loaded.config, path, this.loaded.file)
      : this.loaded.locate(path);
    return { ...loc, where, jsonPath: formatJsonPath(path), message, ...(hint ? { hint } : {}) };
  }

  error(path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.errors.push(this.make(path, where, message, hint, atKey));
  }

  /** An error upstream's engine starts with; `runTime` says what happens when the path runs. */
  runTimeError(runTime: string, path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.errors.push({ ...this.make(path, where, message, hint, atKey), runTime });
  }

  warn(path: ConfigPath, where: string, message: string, hint?: string, atKey = false): void {
    this.warnings.push(this.make(path, where, message, hint, atKey));
  }
}
