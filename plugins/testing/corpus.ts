// The upstream example corpus (read-only; copy before writing): WORKFLOW_CORPUS, else the copy
// vendored in test/fixtures/corpus. A test that needs it fails when it is missing, never skips.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const corpusRoot = process.env.WORKFLOW_CORPUS ?? new URL('../../test/fixtures/corpus', import.meta.url).pathname;

export const corpusExamples = join(corpusRoot, 'workflow-examples');
export const corpusRegistrySchema = join(corpusRoot, 'workflow-registry', 'schema', 'registry-schema.json');
if (!existsSync(corpusExamples))
  throw new Error(
    `the upstream corpus is missing: no ${corpusExamples} (vendored in test/fixtures/corpus; WORKFLOW_CORPUS)`,
  );
