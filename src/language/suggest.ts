/**
 * "Did you mean ...?": the one place that picks the known name closest to a
 * misspelt one, for keywords, modules, arguments, filters, tests, inventory
 * sections and variables alike, so every message suggests the same way.
 */

/** Levenshtein distance: the fewest one-character inserts, deletes or changes turning a into b. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Length of the longest common subsequence: letters shared in the same order. */
function commonSubsequence(a: string, b: string): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(row[j]!, row[j - 1]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

export interface SuggestOptions {
  /** The furthest a suggestion may be; by default 2, or a third of the name's length if longer. */
  maxDistance?: number;
}

/** The known name closest to `name` (case aside), if it is close enough to be a likely misspelling. */
export function closestName(name: string, known: readonly string[], options: SuggestOptions = {}): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let bestCommon = -1;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance > bestDistance) continue;
    // Ties go to the name sharing more letters in order: 'taks' is 'tasks' rather than 'tags'.
    const common = commonSubsequence(wanted, candidate.toLowerCase());
    if (distance < bestDistance || common > bestCommon) {
      best = candidate;
      bestDistance = distance;
      bestCommon = common;
    }
  }
  const maxDistance = options.maxDistance ?? Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= maxDistance ? best : undefined;
}

export interface DidYouMeanOptions extends SuggestOptions {
  /** With no close name: list every known name, sorted, after this text ("Known filters: "). */
  listPrefix?: string;
  /** With no close name (and no listPrefix): say this instead. */
  otherwise?: string;
  /** "did you mean" in lower case, for hints written as lower-case phrases. */
  lowerCase?: boolean;
}

/**
 * A hint sentence: "Did you mean 'tasks'?" when a known name is close, else
 * the list of known names or `otherwise`, else the empty string.
 */
export function didYouMean(name: string, known: readonly string[], options: DidYouMeanOptions = {}): string {
  const close = closestName(name, known, options);
  if (close !== undefined) return `${options.lowerCase ? 'did' : 'Did'} you mean '${close}'?`;
  if (options.listPrefix !== undefined) return `${options.listPrefix}${[...known].sort().join(', ')}.`;
  return options.otherwise ?? '';
}
