// Ranked plugin search over name, keywords and description. An inverted index of word tokens (built
// once per served revision) answers prefix queries with a binary search over the sorted vocabulary,
// so a query costs in proportion to its matches, not to the registry size. Upstream clients match by
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

interface ScoredDoc {
  doc: number;
  score: number;
}

// Field weights: a hit in the name beats a keyword, which beats the description.
const weight = { exactName: 1000, namePrefix: 400, nameToken: 120, nameTokenPrefix: 60, keyword: 40, keywordPrefix: 20, description: 10, descriptionPrefix: 4, substring: 1 };

interface Posting {
  doc: number;
  score: number;
}

export class SearchIndex {
  private readonly docs: SearchDocument[];
  /** Lower-cased name and description per document, for exact-name bonuses and substring matching. */
  private readonly lowerName: string[];
  private readonly haystack: string[];
  private readonly vocabulary: string[];
  private readonly postings = new Map<string, Posting[]>();

  constructor(documents: Iterable<SearchDocument>) {
    this.docs = [...documents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.docs.forEach((d, i) => {
      const best = new Map<string, number>();
      const add = (token: string, score: number) => best.set(token, Math.max(best.get(token) ?? 0, score));
      for (const t of new Set([...tokenize(d.id), ...tokenize(d.name)])) add(t, weight.nameToken);
      for (const k of d.keywords) for (const t of tokenize(k)) add(t, weight.keyword);
      for (const t of tokenize(d.description)) add(t, weight.description);
      for (const [token, score] of best) {
        let list = this.postings.get(token);
        if (!list) this.postings.set(token, (list = []));
        list.push({ doc: i, score });
      }
    });
    this.vocabulary = [...this.postings.keys()].sort();
    this.lowerName = this.docs.map((d) => d.name.toLowerCase());
    this.haystack = this.docs.map((d, i) => `${d.id}\n${this.lowerName[i]}\n${d.description.toLowerCase()}`);
  }

  get size(): number {
    return this.docs.length;
  }

  /** Matching documents, best first (ties by id). Every query term must match. */
  search(query: SearchQuery): SearchHit[] {
    const terms = tokenize(query.q ?? '');
    const q = (query.q ?? '').trim().toLowerCase();
    const accept = (d: SearchDocument) =>
      (!query.tier || d.tier === query.tier) && (!query.type || d.type === query.type) && (!query.category || d.category === query.category);
    if (terms.length === 0) {
      return this.docs.filter(accept).map((d) => ({ id: d.id, score: 0 }));
    }
    let scores: Map<number, number> | undefined;
    for (const term of terms) {
      const termScores = this.termScores(term);
      if (!scores) scores = termScores;
      else {
        const both = new Map<number, number>();
        for (const [doc, s] of scores) {
          const t = termScores.get(doc);
          if (t !== undefined) both.set(doc, s + t);
        }
        scores = both;
      }
      if (scores.size === 0) break;
    }
    if (!scores || scores.size === 0) scores = this.substringScores(q);
    const hits: ScoredDoc[] = [];
    for (const [doc, score] of scores) {
      const d = this.docs[doc]!;
      if (!accept(d)) continue;
      const name = this.lowerName[doc]!;
      const bonus = d.id === q || name === q ? weight.exactName : d.id.startsWith(q) || name.startsWith(q) ? weight.namePrefix : 0;
      hits.push({ doc, score: score + bonus });
    }
    // Documents are numbered in id order, so the tie-break is a number comparison.
    hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
    return hits.map((h) => ({ id: this.docs[h.doc]!.id, score: h.score }));
  }

  /**
   * Best score per document for one term: exact token matches, and tokens the term is a prefix of.
   * One-letter terms match whole tokens only; expanding them would touch most of the vocabulary.
   */
  private termScores(term: string): Map<number, number> {
    const out = new Map<number, number>();
    const merge = (token: string, exact: boolean) => {
      for (const p of this.postings.get(token)!) {
        const s = exact ? p.score : prefixScore(p.score);
        const had = out.get(p.doc);
        if (had === undefined || s > had) out.set(p.doc, s);
      }
    };
    if (term.length === 1) {
      if (this.postings.has(term)) merge(term, true);
      return out;
    }
    for (let i = lowerBound(this.vocabulary, term); i < this.vocabulary.length && this.vocabulary[i]!.startsWith(term); i++) {
      merge(this.vocabulary[i]!, this.vocabulary[i] === term);
    }
    return out;
  }

  private substringScores(q: string): Map<number, number> {
    const out = new Map<number, number>();
    if (!q) return out;
    this.haystack.forEach((h, i) => {
      if (h.includes(q)) out.set(i, weight.substring);
    });
    return out;
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
