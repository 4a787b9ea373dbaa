// The body of a search page: each hit's index summary with its score as the last key, byte for byte
// what JSON.stringify gives for `hits.map((h) => ({ ...summary, score }))`. A summary is serialised
// once (per summary object, so unchanged plugins keep theirs across revisions) and pages are copied
// together from those bytes: a page of 20 hits costs a few memory copies instead of 20 object
// serialisations and the strings they leave behind for the garbage collector.
import type { SearchHit } from './search.ts';
import type { IndexSummary } from './summary.ts';

const serialised = new WeakMap<IndexSummary, Buffer>();

/** `{...summary, "score":` as UTF-8: the summary object without its closing brace. */
function openSummary(summary: IndexSummary): Buffer {
  let bytes = serialised.get(summary);
  if (!bytes) {
    const json = JSON.stringify(summary);
    bytes = Buffer.from(json === '{}' ? '{"score":' : `${json.slice(0, -1)},"score":`);
    serialised.set(summary, bytes);
  }
  return bytes;
}

export function searchPageBody(hits: readonly SearchHit[], summaryOf: (id: string) => IndexSummary): Buffer {
  const opens = hits.map((h) => openSummary(summaryOf(h.id)));
  const closes = hits.map((h) => `${JSON.stringify(h.score)}}`);
  let length = 2 + Math.max(0, hits.length - 1);
  for (let i = 0; i < hits.length; i++) length += opens[i]!.length + closes[i]!.length;
  const body = Buffer.allocUnsafe(length);
  let at = body.write('[', 0, 'latin1');
  for (let i = 0; i < hits.length; i++) {
    if (i > 0) at += body.write(',', at, 'latin1');
    at += opens[i]!.copy(body, at);
    at += body.write(closes[i]!, at, 'latin1');
  }
  body.write(']', at, 'latin1');
  return body;
}
