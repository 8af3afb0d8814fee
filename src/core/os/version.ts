// Version strings of the tools we drive: extract "X.Y.Z" from their output and compare.

/** The first X.Y or X.Y.Z in a tool's output (e.g. "rootlesskit version 1.1.0"), normalised to X.Y.Z. */
export function parseVersion(output: string): string | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return null;
  return `${Number(m[1])}.${Number(m[2])}.${Number(m[3] ?? 0)}`;
}

/** a >= b for X.Y.Z strings. */
export function atLeast(a: string, b: string): boolean {
  return Bun.semver.order(a, b) >= 0;
}

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b` (semver: a pre-release is older than its release). */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  return Bun.semver.order(a.replace(/^v/, ""), b.replace(/^v/, ""));
}
