// The upstream example corpus (read-only): ../shared/corpus next to the repository, or WORKFLOW_CORPUS.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const corpusRoot = process.env.WORKFLOW_CORPUS ?? new URL('../../../shared/corpus', import.meta.url).pathname;
export const corpusExamples = join(corpusRoot, 'workflow-examples');
export const corpusRegistryPlugins = join(corpusRoot, 'workflow-registry', 'plugins');
export const corpusRegistrySchema = join(corpusRoot, 'workflow-registry', 'schema', 'registry-schema.json');
/** For `test(name, { skip: skipWithoutCorpus }, ...)`. */
export const skipWithoutCorpus: false | string = existsSync(corpusExamples) ? false : `upstream corpus not found at ${corpusRoot} (set WORKFLOW_CORPUS)`;
