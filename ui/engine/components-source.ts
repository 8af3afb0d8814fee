// The bundle's fields in the settings form ("components.*" keys) and the request they make.
// Kept free of engine imports: the flow (app.tsx) maps the form's values with it before the
// engine has loaded.
import type { ComponentsSource } from "./types.ts";

export const COMPONENT_FIELD = {
  version: "components.version",
  from: "components.from",
  sha256: "components.sha256",
  insecureHttp: "components.insecure-http",
} as const;

export const isComponentsKey = (key: string) => key.startsWith("components.");

/** The typed values as a request; empty fields keep the defaults (undefined: all defaults). */
export function componentsSource(values: Readonly<Record<string, string>>): ComponentsSource | undefined {
  const s: ComponentsSource = {};
  const v = (k: string) => values[k]?.trim() || undefined;
  if (v(COMPONENT_FIELD.version)) s.version = v(COMPONENT_FIELD.version);
  if (v(COMPONENT_FIELD.from)) s.from = v(COMPONENT_FIELD.from);
  if (v(COMPONENT_FIELD.sha256)) s.sha256 = v(COMPONENT_FIELD.sha256);
  if (values[COMPONENT_FIELD.insecureHttp] === "true") s.insecureHttp = true;
  return Object.keys(s).length ? s : undefined;
}

/** A request back as form values (coming back to the settings screen shows what was typed). */
export function componentsValues(s: ComponentsSource | undefined): Record<string, string> {
  if (!s) return {};
  const out: Record<string, string> = {};
  if (s.version) out[COMPONENT_FIELD.version] = s.version;
  if (s.from) out[COMPONENT_FIELD.from] = s.from;
  if (s.sha256) out[COMPONENT_FIELD.sha256] = s.sha256;
  if (s.insecureHttp) out[COMPONENT_FIELD.insecureHttp] = "true";
  return out;
}
