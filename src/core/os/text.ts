// Escaping text for the pattern languages the engine builds patterns in: regular expressions
// and the globs containerd's `imports` take. One copy each.

/** `s` matched literally inside a RegExp. */
export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `s` matched literally inside a glob (filepath.Glob's metacharacters: * ? [ and \). */
export const escapeGlob = (s: string): string => s.replace(/[*?[\\]/g, "\\$&");
