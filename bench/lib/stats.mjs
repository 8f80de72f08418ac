// Small statistics helpers for repetitions of a point.

/** Median of the finite numbers in `values`; NaN when there are none. */
export function median(values) {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** [min, max] of the finite numbers in `values`; null when there are none. */
export function spread(values) {
  const xs = values.filter(Number.isFinite);
  if (xs.length === 0) return null;
  return [Math.min(...xs), Math.max(...xs)];
}

/** Round for the JSON output; null stays null and NaN becomes null. */
export function roundTo(x, digits) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
