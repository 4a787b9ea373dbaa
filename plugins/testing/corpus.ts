// The upstream example corpus (read-only; copy before writing): WORKFLOW_CORPUS, else the copy
// vendored in test/fixtures/corpus, else ../shared/corpus next to the repository.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const candidates = [
  process.env.WORKFLOW_CORPUS,
  new URL('../../test/fixtures/corpus', import.meta.url).pathname,
  new URL('../../../shared/corpus', import.meta.url).pathname,
].filter((p): p is string => Boolean(p));
const corpusRoot = candidates.find((p) => existsSync(join(p, 'workflow-examples'))) ?? candidates[0]!;

export const corpusExamples = join(corpusRoot, 'workflow-examples');
export const corpusRegistrySchema = join(corpusRoot, 'workflow-registry', 'schema', 'registry-schema.json');
/** For `test(name, { skip: skipWithoutCorpus }, ...)`. */
export const skipWithoutCorpus: false | string = existsSync(corpusExamples)
  ? false
  : `upstream corpus not found (looked in ${candidates.join(', ')}; set WORKFLOW_CORPUS)`;
