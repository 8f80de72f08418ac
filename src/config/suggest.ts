// Spelling suggestions for unknown configuration keys: "valid-liftime" → "valid-lifetime",
// "pool" → "pools", "interfaces" → "interfaces-config". A candidate qualifies when it is within a
// small Damerau-Levenshtein distance of the key (optimal string alignment: insertions,
// deletions, substitutions and swaps of two neighbouring characters), or when one of the two is
// a prefix of the other. Case and "_" versus "-" are ignored, because Kea's keys are lowercase
// with hyphens and people write them from memory.

/** Shortest key or candidate that a prefix match may use, so "id" does not match "id-type". */
const MIN_PREFIX_LENGTH = 4;

/**
 * Returns the candidate that the unknown key most likely misspells, or undefined when none is
 * close. Edit-distance matches rank before prefix matches, and earlier candidates win ties.
 */
export function suggestKey(key: string, candidates: readonly string[]): string | undefined {
  const typed = normalize(key);
  // Short keys get one edit at most, otherwise "id" would match every two-letter key.
  const maxDistance = typed.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestScore = Infinity;

  for (const candidate of candidates) {
    const known = normalize(candidate);
    if (known === typed) return candidate;
    const distance = editDistance(typed, known);
    let score = Infinity;
    if (distance <= maxDistance) score = distance;
    else if (isPrefixMatch(typed, known)) score = maxDistance + Math.abs(known.length - typed.length);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance in its optimal-string-alignment form (no substring is edited twice). */
export function editDistance(a: string, b: string): number {
  // rows[i][j] is the distance between the first i characters of a and the first j of b.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) rows[i].push(i === 0 ? j : 0);
  }

  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      const isSwap = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (isSwap) distance = Math.min(distance, rows[i - 2][j - 2] + 1);
      rows[i][j] = distance;
    }
  }
  return rows[a.length][b.length];
}

function normalize(key: string): string {
  return key.toLowerCase().replaceAll('_', '-');
}

function isPrefixMatch(typed: string, known: string): boolean {
  const [shorter, longer] = typed.length <= known.length ? [typed, known] : [known, typed];
  return shorter.length >= MIN_PREFIX_LENGTH && longer.startsWith(shorter);
}
