import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchIndex, type SearchDocument } from './search.ts';

const doc = (id: string, description: string, keywords: string[] = [], tier = 'community'): SearchDocument => ({
  id,
  name: id,
  keywords,
  description,
  tier,
  type: 'external',
  category: null,
});
const index = new SearchIndex([
  doc('http', 'HTTP server and router', ['server']),
  doc('http-cache', 'Caching for HTTP routes'),
  doc('kafka', 'Kafka messaging for the event bus', ['queue', 'http']),
  doc('b-queue', 'Queue workers', [], 'core'),
  doc('a-queue', 'Queue workers', [], 'core'),
]);
const ids = (q: string, extra: object = {}) =>
  index
    .search({ q, ...extra })
    .page(0, 100)
    .map((h) => h.id);

test('name beats keyword beats description; exact name first; ties by id', () => {
  assert.deepEqual(ids('http'), ['http', 'http-cache', 'kafka']);
  assert.deepEqual(ids('queue'), ['a-queue', 'b-queue', 'kafka']);
  const [first] = index.search({ q: 'http' }).page(0, 1);
  assert.ok(first!.score >= 1000);
});

test('every term must match; prefixes match; stopwords and one-letter prefixes do not expand', () => {
  assert.deepEqual(ids('http rout'), ['http', 'http-cache']);
  assert.deepEqual(ids('kaf mess'), ['kafka']);
  // nothing left to look up: the upstream substring match decides
  assert.deepEqual(ids('the'), ['kafka']);
  assert.deepEqual(ids('k'), ['kafka', 'a-queue', 'b-queue']); // kafka: name starts with k
});

test('substring fallback, filters, empty query, paging', () => {
  assert.deepEqual(ids('ttp-cac'), ['http-cache']);
  assert.deepEqual(ids('queue', { tier: 'core' }), ['a-queue', 'b-queue']);
  assert.equal(index.search({}).total, 5);
  assert.deepEqual(
    index
      .search({ q: 'http' })
      .page(1, 2)
      .map((h) => h.id),
    ['http-cache'],
  );
});
