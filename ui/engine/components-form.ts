// The bundle's version, source and checksum as settings fields: `components install
// --version V --from URL|FILE --sha256 HEX --insecure-http` in the UI. Each value is checked
// as it is typed by the commands' own checks (normalizeVersion, checkHex, the URL scheme
// rule, the version in a file's name); whether a local file exists is checked when the plan
// is made (checkRequest). The labels name the flags, so the commands' fixes read right here.
import type { Host } from "../../src/core/os/host.ts";
import { checkRequestSyntax } from "../../src/core/components/provision.ts";
import { checkHex, DEFAULT_VERSION, PINNED, normalizeVersion } from "../../src/core/components/release.ts";
import { COMPONENT_FIELD, componentsSource } from "./components-source.ts";
import type { SettingField } from "./types.ts";

/** The engine's words for a refused value: what is wrong, then the fix. */
function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    const err = e as Error & { fix?: string };
    return [err.message, err.fix].filter(Boolean).join(". ");
  }
}

const valid = (check: () => unknown) => problemOf(check) === undefined;

export function componentsFields(host: Host): SettingField[] {
  return [
    {
      key: COMPONENT_FIELD.version,
      label: "nerdctl-full version (--version)",
      defaultValue: DEFAULT_VERSION,
      validate: (v) => problemOf(() => normalizeVersion(v)),
    },
    {
      key: COMPONENT_FIELD.from,
      label: "From: URL or file (--from)",
      defaultValue: "the GitHub release",
      validate: (_v, all) => {
        const req = componentsSource(all) ?? {};
        // a bad version or checksum is its own field's error, not this one's
        if (req.version && !valid(() => normalizeVersion(req.version!))) delete req.version;
        delete req.sha256;
        return problemOf(() => checkRequestSyntax(host, req));
      },
    },
    {
      key: COMPONENT_FIELD.sha256,
      label: "SHA-256 (--sha256)",
      defaultValue: `its pin for ${Object.keys(PINNED).join(", ")}, else the release's SHA256SUMS`,
      validate: (v) => problemOf(() => checkHex(v)),
    },
    {
      key: COMPONENT_FIELD.insecureHttp,
      label: "Allow plain HTTP (--insecure-http)",
      defaultValue: "false",
      choices: ["true", "false"],
      validate: (v) => (v === "true" || v === "false" ? undefined : "must be true or false"),
    },
  ];
}
