// Numbers as people read them in flags, reports and the command line.

/** A fraction as a percentage with one decimal: 0.9234 -> "92.3%". */
export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** pct, or `missing` where there is no number (a cell a table leaves empty). */
export const pctOr = (x: number | null | undefined, missing: string): string => (x === null || x === undefined ? missing : pct(x));
