// Colours of the installer. With NO_COLOR set (to anything but ""), every colour is
// dropped so Ink writes plain text; structure (symbols, bold) stays.
export interface Theme {
  ok?: string;
  warn?: string;
  error?: string;
  accent?: string;
  muted?: string;
  added?: string;
  removed?: string;
}

const COLORS: Theme = {
  ok: "green",
  warn: "yellow",
  error: "red",
  accent: "cyan",
  muted: "gray",
  added: "green",
  removed: "red",
};

export function themeFor(env: Readonly<Record<string, string | undefined>>): Theme {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== "" ? {} : COLORS;
}
