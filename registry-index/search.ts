// Ranked plugin search over name, keywords and description. An inverted index of word tokens (built
// once per served revision) answers prefix queries with a binary search over the sorted vocabulary;
// a query intersects its terms as bitsets (each term's matches are built once and cached), and
// results sort as packed numbers, only as far as the requested page needs, so even a query matching
// every plugin of a 10,000-plugin registry costs well under a millisecond. Upstream clients match by
// substring; when tokens find nothing, a substring match (narrowed by a trigram index, see
// substring-index.ts) keeps that behaviour.
import { SubstringIndex } from './substring-index.ts';

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
const weight = {
  exactName: 1000,
  namePrefix: 400,
  nameToken: 120,
  nameTokenPrefix: 60,
  keyword: 40,
  keywordPrefix: 20,
  description: 10,
  descriptionPrefix: 4,
  substring: 1,
};

// Words that say nothing about a plugin; indexing them would make most queries match everything.
const stopwords = new Set([
  'a',
  'an',
  'and',
  'as',
  'at',
  'by',
  'for',
  'from',
  'in',
  'into',
  'is',
  'it',
  'of',
  'on',
  'or',
  'the',
  'to',
  'via',
  'with',
]);

// Documents are numbered in id order; a result sorts as score * docSpan - doc, so one numeric sort
// orders by score (descending) and then id.
const docSpan = 2 ** 21;

/** Documents (ascending) with the score of one token in each. */
interface Posting {
  docs: Int32Array;
  scores: Uint16Array;
}

/**
 * Everything one query term matches: a bitset of documents (intersecting two terms is then a few
 * hundred word ANDs) and each document's best score for the term.
 */
interface TermMatches {
  bits: Uint32Array;
  scores: Uint16Array;
}

// Terms are kept between queries: the words people type recur (and two-letter prefixes recur in
// almost every query mix). Bounded in bytes, so a larger registry keeps fewer terms.
const termCacheBytes = 32 * 1024 * 1024;

export class SearchIndex {
  private readonly docs: SearchDocument[];
  /** Lower-cased name per document (exact-name bonus) and name+description (substring matching). */
  private readonly lowerName: string[];
  private readonly haystack: string[];
  private substrings: SubstringIndex | undefined;
  private readonly vocabulary: string[];
  private readonly postings = new Map<string, Posting>();
  /** Ids and lower-cased names, sorted, and their documents: the name bonus of a query. */
  private readonly names: string[];
  private readonly nameDocs: Int32Array;
  private readonly termCache = new Map<string, TermMatches>();
  private readonly termCacheLimit: number;
  /** Scratch space for intersections and result keys; a search runs synchronously. */
  private readonly scratchBits: Uint32Array;
  private readonly scratchKeys: Float64Array;

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
      this.postings.set(token, { docs, scores });
    }
    this.vocabulary = [...lists.keys()].sort();
    this.lowerName = this.docs.map((d) => d.name.toLowerCase());
    this.haystack = this.docs.map((d, i) => `${d.id}\n${this.lowerName[i]}\n${d.description.toLowerCase()}`);
    const names = this.docs.flatMap((d, doc) =>
      d.id === this.lowerName[doc]
        ? [{ key: d.id, doc }]
        : [
            { key: d.id, doc },
            { key: this.lowerName[doc]!, doc },
          ],
    );
    names.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.names = names.map((e) => e.key);
    this.nameDocs = Int32Array.from(names, (e) => e.doc);
    const n = this.docs.length;
    this.scratchBits = new Uint32Array((n + 31) >>> 5);
    this.scratchKeys = new Float64Array(n);
    this.termCacheLimit = Math.max(16, Math.floor(termCacheBytes / (2 * n + this.scratchBits.byteLength + 64)));
  }

  get size(): number {
    return this.docs.length;
  }

  /** Matching documents, best first (ties by id). Every query term must match. */
  search(query: SearchQuery): SearchResults {
    const q = (query.q ?? '').trim().toLowerCase();
    const terms = tokenize(q).filter((t) => !stopwords.has(t));
    const filtered = !!(query.tier || query.type || query.category);
    const accept = (d: SearchDocument) =>
      (!query.tier || d.tier === query.tier) &&
      (!query.type || d.type === query.type) &&
      (!query.category || d.category === query.category);
    const bonus = q ? this.nameBonus(q) : undefined;
    const keys = this.scratchKeys;
    let kept = 0;
    let matched = 0;
    // A result sorts as (score + name bonus) * docSpan - doc: by score, then by id.
    const add = (doc: number, score: number) => {
      matched++;
      if (filtered && !accept(this.docs[doc]!)) return;
      keys[kept++] = (score + (bonus?.get(doc) ?? 0)) * docSpan + (docSpan - 1 - doc);
    };
    if (!q) {
      for (let doc = 0; doc < this.docs.length; doc++) add(doc, 0);
    } else if (terms.length > 0) {
      this.forEachMatch(terms, add);
    }
    if (matched === 0 && q) {
      this.substrings ??= new SubstringIndex(this.haystack);
      for (const doc of this.substrings.find(q)) add(doc, weight.substring);
    }
    return new RankedResults(this.docs, keys.slice(0, kept));
  }

  /** Calls `add` with every document all terms match and the sum of its per-term scores. */
  private forEachMatch(terms: string[], add: (doc: number, score: number) => void): void {
    const matches = terms.map((t) => this.termMatches(t));
    const bits = this.scratchBits;
    bits.set(matches[0]!.bits);
    for (let t = 1; t < matches.length; t++) {
      const other = matches[t]!.bits;
      for (let w = 0; w < bits.length; w++) bits[w]! &= other[w]!;
    }
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      while (word !== 0) {
        const lowest = word & -word;
        word ^= lowest;
        const doc = (w << 5) + 31 - Math.clz32(lowest);
        let score = 0;
        for (const m of matches) score += m.scores[doc]!;
        add(doc, score);
      }
    }
  }

  /**
   * Best score per document for one term: exact token matches, and tokens the term is a prefix of.
   * One-letter terms match whole tokens only: expanding them would touch most of the vocabulary.
   */
  private termMatches(term: string): TermMatches {
    const cached = this.termCache.get(term);
    if (cached) return cached;
    const matches: TermMatches = {
      bits: new Uint32Array(this.scratchBits.length),
      scores: new Uint16Array(this.docs.length),
    };
    const vocabulary = this.vocabulary;
    let from = lowerBound(vocabulary, term);
    let to = from;
    if (term.length === 1) to = vocabulary[from] === term ? from + 1 : from;
    else while (to < vocabulary.length && vocabulary[to]!.startsWith(term)) to++;
    for (; from < to; from++) {
      const { docs, scores } = this.postings.get(vocabulary[from]!)!;
      const exact = vocabulary[from] === term;
      for (let k = 0; k < docs.length; k++) {
        const doc = docs[k]!;
        const s = exact ? scores[k]! : prefixScore(scores[k]!);
        if (s > matches.scores[doc]!) matches.scores[doc] = s;
        matches.bits[doc >>> 5]! |= 1 << (doc & 31);
      }
    }
    if (this.termCache.size >= this.termCacheLimit) this.termCache.clear();
    this.termCache.set(term, matches);
    return matches;
  }

  /** Documents whose id or name equals the query (exact-name bonus) or starts with it (prefix bonus). */
  private nameBonus(q: string): Map<number, number> | undefined {
    let bonus: Map<number, number> | undefined;
    for (let i = lowerBound(this.names, q); i < this.names.length && this.names[i]!.startsWith(q); i++) {
      const doc = this.nameDocs[i]!;
      const b = this.names[i] === q ? weight.exactName : weight.namePrefix;
      bonus ??= new Map();
      if (b > (bonus.get(doc) ?? 0)) bonus.set(doc, b);
    }
    return bonus;
  }
}

/**
 * Results as packed sort keys, ordered lazily: a page needs only the keys above its end in order,
 * and most requests read the first page of a long list.
 */
class RankedResults implements SearchResults {
  /** keys[0..ordered) are the largest keys, descending. */
  private ordered = 0;

  constructor(
    private readonly docs: readonly SearchDocument[],
    private readonly keys: Float64Array,
  ) {}

  get total(): number {
    return this.keys.length;
  }

  page(from: number, to: number): SearchHit[] {
    const end = Math.min(to, this.keys.length);
    if (end > this.ordered) {
      // Bring the next largest keys forward, then sort only them.
      const want =
        end - this.ordered < 64 && this.keys.length - this.ordered > 256 ? Math.max(end, this.ordered + 64) : end;
      selectLargest(this.keys, this.ordered, this.keys.length, want);
      this.keys.subarray(this.ordered, want).sort().reverse();
      this.ordered = want;
    }
    const out: SearchHit[] = [];
    for (let i = Math.max(0, from); i < end; i++) {
      const key = this.keys[i]!;
      const score = Math.floor(key / docSpan);
      out.push({ id: this.docs[docSpan - 1 - (key - score * docSpan)]!.id, score });
    }
    return out;
  }
}

/** Reorders keys[lo..hi) so that keys[lo..k) are its k - lo largest values (quickselect). */
function selectLargest(keys: Float64Array, lo: number, hi: number, k: number): void {
  while (hi - lo > 1 && k > lo && k < hi) {
    const pivot = keys[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (keys[i]! > pivot) i++;
      while (keys[j]! < pivot) j--;
      if (i <= j) {
        const t = keys[i]!;
        keys[i++] = keys[j]!;
        keys[j--] = t;
      }
    }
    // Now keys[lo..j] >= pivot >= keys[i..hi), and anything between equals the pivot.
    if (k <= j) hi = j + 1;
    else if (k > i) lo = i;
    else return;
  }
}

function prefixScore(exactScore: number): number {
  if (exactScore === weight.nameToken) return weight.nameTokenPrefix;
  if (exactScore === weight.keyword) return weight.keywordPrefix;
  return weight.descriptionPrefix;
}

/** Lower-case word tokens; dots, dashes and underscores split words (http.server -> http, server). */
function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
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
