// Ranked plugin search over name, keywords and description. An inverted index of word tokens (built
// once per served revision) answers prefix queries with a binary search over the sorted vocabulary;
// scores accumulate in typed arrays and results sort as packed numbers, so even a query matching
// every plugin of a 10,000-plugin registry costs a few milliseconds. Upstream clients match by
// substring; when tokens find nothing, a substring scan keeps that behaviour.

export interface SearchDocument {
  id: string;
  name: string;
  keywords: readonly string[];
  description: string;
  tier: string;
  type: string;
  category: string | null;
}

export interface SearchQuery {
  q?: string;
  tier?: string;
  type?: string;
  category?: string;
}

export interface SearchHit {
  id: string;
  score: number;
}

/** Matches best first; pages are cut from it without materialising every hit. */
export interface SearchResults {
  readonly total: number;
  page(from: number, to: number): SearchHit[];
}

// Field weights: a hit in the name beats a keyword, which beats the description.
const weight = { exactName: 1000, namePrefix: 400, nameToken: 120, nameTokenPrefix: 60, keyword: 40, keywordPrefix: 20, description: 10, descriptionPrefix: 4, substring: 1 };

// Words that say nothing about a plugin; indexing them would make most queries match everything.
const stopwords = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'into', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'via', 'with']);

// Documents are numbered in id order; a result sorts as score * docSpan - doc, so one numeric sort
// orders by score (descending) and then id.
const docSpan = 2 ** 21;

export class SearchIndex {
  private readonly docs: SearchDocument[];
  /** Lower-cased name per document (exact-name bonus) and name+description (substring matching). */
  private readonly lowerName: string[];
  private readonly haystack: string[];
  private readonly vocabulary: string[];
  private readonly postingDocs = new Map<string, Int32Array>();
  private readonly postingScores = new Map<string, Uint16Array>();

  constructor(documents: Iterable<SearchDocument>) {
    this.docs = [...documents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (this.docs.length >= docSpan) throw new Error(`search index supports up to ${docSpan - 1} plugins`);
    const lists = new Map<string, number[]>();
    this.docs.forEach((d, i) => {
      const best = new Map<string, number>();
      const add = (token: string, score: number) => {
        if (!stopwords.has(token) && score > (best.get(token) ?? 0)) best.set(token, score);
      };
      for (const t of tokenize(`${d.id} ${d.name}`)) add(t, weight.nameToken);
      for (const k of d.keywords) for (const t of tokenize(k)) add(t, weight.keyword);
      for (const t of tokenize(d.description)) add(t, weight.description);
      for (const [token, score] of best) {
        let list = lists.get(token);
        if (!list) lists.set(token, (list = []));
        list.push(i, score);
      }
    });
    for (const [token, list] of lists) {
      const docs = new Int32Array(list.length / 2);
      const scores = new Uint16Array(list.length / 2);
      for (let k = 0; k < docs.length; k++) {
        docs[k] = list[2 * k]!;
        scores[k] = list[2 * k + 1]!;
      }
      this.postingDocs.set(token, docs);
      this.postingScores.set(token, scores);
    }
    this.vocabulary = [...lists.keys()].sort();
    this.lowerName = this.docs.map((d) => d.name.toLowerCase());
    this.haystack = this.docs.map((d, i) => `${d.id}\n${this.lowerName[i]}\n${d.description.toLowerCase()}`);
  }

  get size(): number {
    return this.docs.length;
  }

  /** Matching documents, best first (ties by id). Every query term must match. */
  search(query: SearchQuery): SearchResults {
    const q = (query.q ?? '').trim().toLowerCase();
    const terms = tokenize(q).filter((t) => !stopwords.has(t));
    const n = this.docs.length;
    const accept = (d: SearchDocument) =>
      (!query.tier || d.tier === query.tier) && (!query.type || d.type === query.type) && (!query.category || d.category === query.category);

    const matched: number[] = [];
    const total = new Float64Array(n);
    if (!q) {
      for (let i = 0; i < n; i++) matched.push(i);
    } else if (terms.length > 0) {
      // count[doc] = how many terms matched so far; a document survives only if every term does.
      const count = new Uint8Array(n);
      const best = new Float64Array(n);
      for (const [k, term] of terms.entries()) {
        const touched = this.termScores(term, best);
        for (const doc of touched) {
          if (count[doc] === k) {
            count[doc] = k + 1;
            total[doc]! += best[doc]!;
          }
          best[doc] = 0;
        }
      }
      for (let doc = 0; doc < n; doc++) if (count[doc] === terms.length) matched.push(doc);
    }
    if (matched.length === 0 && q) {
      for (let doc = 0; doc < n; doc++) {
        if (!this.haystack[doc]!.includes(q)) continue;
        matched.push(doc);
        total[doc] = weight.substring;
      }
    }
    const keys: number[] = [];
    for (const doc of matched) {
      const d = this.docs[doc]!;
      if (!accept(d)) continue;
      const name = this.lowerName[doc]!;
      const bonus = !q ? 0 : d.id === q || name === q ? weight.exactName : d.id.startsWith(q) || name.startsWith(q) ? weight.namePrefix : 0;
      keys.push((total[doc]! + bonus) * docSpan + (docSpan - 1 - doc));
    }
    const sorted = Float64Array.from(keys).sort().reverse();
    const docs = this.docs;
    return {
      total: sorted.length,
      page(from, to) {
        const out: SearchHit[] = [];
        for (let i = Math.max(0, from); i < Math.min(to, sorted.length); i++) {
          const key = sorted[i]!;
          const score = Math.floor(key / docSpan);
          out.push({ id: docs[docSpan - 1 - (key - score * docSpan)]!.id, score });
        }
        return out;
      },
    };
  }

  /**
   * Best score per document for one term into `best` (exact token matches, and tokens the term is a
   * prefix of); returns the documents touched. One-letter terms match whole tokens only: expanding
   * them would touch most of the vocabulary.
   */
  private termScores(term: string, best: Float64Array): number[] {
    const touched: number[] = [];
    const merge = (token: string, exact: boolean) => {
      const docs = this.postingDocs.get(token)!;
      const scores = this.postingScores.get(token)!;
      for (let k = 0; k < docs.length; k++) {
        const doc = docs[k]!;
        const s = exact ? scores[k]! : prefixScore(scores[k]!);
        if (best[doc] === 0) touched.push(doc);
        if (s > best[doc]!) best[doc] = s;
      }
    };
    if (term.length === 1) {
      if (this.postingDocs.has(term)) merge(term, true);
      return touched;
    }
    for (let i = lowerBound(this.vocabulary, term); i < this.vocabulary.length && this.vocabulary[i]!.startsWith(term); i++) {
      merge(this.vocabulary[i]!, this.vocabulary[i] === term);
    }
    return touched;
  }
}

function prefixScore(exactScore: number): number {
  if (exactScore === weight.nameToken) return weight.nameTokenPrefix;
  if (exactScore === weight.keyword) return weight.keywordPrefix;
  return weight.descriptionPrefix;
}

/** Lower-case word tokens; dots, dashes and underscores split words (http.server -> http, server). */
function tokenize(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
