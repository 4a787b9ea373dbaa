// Which texts contain a string, without scanning every text. Search falls back to substring matching
// (what upstream clients do) whenever the word index finds nothing, which for a mistyped or unknown
// query is most of the time; scanning 10,000 plugin texts costs ~0.4 ms per such query. A text can
// contain the needle only if it contains every three-character slice of it, so the texts listed
// under all of the needle's trigrams are the only candidates, and `includes` confirms each one: the
// answer is exactly what a full scan gives.

export class SubstringIndex {
  /** Trigram -> ascending indexes of the texts that contain it. */
  private readonly grams = new Map<string, Int32Array>();

  constructor(private readonly texts: readonly string[]) {
    const lists = new Map<string, number[]>();
    texts.forEach((text, i) => {
      for (let k = 0; k + 3 <= text.length; k++) {
        const gram = text.slice(k, k + 3);
        let list = lists.get(gram);
        if (!list) lists.set(gram, (list = []));
        if (list[list.length - 1] !== i) list.push(i);
      }
    });
    for (const [gram, list] of lists) this.grams.set(gram, Int32Array.from(list));
  }

  /** Indexes of the texts that contain `needle`, ascending. */
  find(needle: string): number[] {
    if (needle.length < 3) return this.scan(needle, undefined);
    const lists: Int32Array[] = [];
    for (let k = 0; k + 3 <= needle.length; k++) {
      const list = this.grams.get(needle.slice(k, k + 3));
      if (!list) return [];
      lists.push(list);
    }
    lists.sort((a, b) => a.length - b.length);
    let candidates: ArrayLike<number> = lists[0]!;
    for (let k = 1; k < lists.length && candidates.length > 0; k++) candidates = intersect(candidates, lists[k]!);
    return this.scan(needle, candidates);
  }

  private scan(needle: string, candidates: ArrayLike<number> | undefined): number[] {
    const out: number[] = [];
    const n = candidates ? candidates.length : this.texts.length;
    for (let k = 0; k < n; k++) {
      const i = candidates ? candidates[k]! : k;
      if (this.texts[i]!.includes(needle)) out.push(i);
    }
    return out;
  }
}

/** Elements of both ascending lists. */
function intersect(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}
