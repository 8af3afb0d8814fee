// The RootlessKit settings of the seed's "Configuring RootlessKit": one model per
// CONTAINERD_ROOTLESS_ROOTLESSKIT_* variable (env name, `configure` flag, allowed values,
// default), and the syntax check of a value. Whether a valid value also works on this
// machine (driver installed, RootlessKit version) is decided in resolve.ts.
// The proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) live in the same drop-in and are
// set, reset, exported and applied the same way, but they are containerd's, not RootlessKit's:
// marked `proxy`, they are checked as URLs (proxy.ts) and never reach the launcher's argv.
import { UserError } from "../os/errors.ts";
import { noProxyProblem, proxyUrlProblem } from "./proxy.ts";

export type ProxyKey = "httpProxy" | "httpsProxy" | "noProxy";
export type SettingKey = "stateDir" | "net" | "mtu" | "portDriver" | "slirp4netnsSandbox" | "slirp4netnsSeccomp" | "detachNetns" | "ipv6" | "flags" | ProxyKey;

export const ENV_PREFIX = "CONTAINERD_ROOTLESS_ROOTLESSKIT_";

export const NET_DRIVERS = ["slirp4netns", "vpnkit", "lxc-user-nic", "pasta", "gvisor-tap-vsock"] as const;
export type NetDriver = (typeof NET_DRIVERS)[number];
export const PORT_DRIVERS = ["builtin", "slirp4netns", "implicit", "pesto", "gvisor-tap-vsock", "none"] as const;
export const TRISTATE = ["auto", "true", "false"] as const;
export const DETACH_VALUES = ["auto", "true", "false", "1", "0"] as const;
export const BOOL_VALUES = ["true", "false", "1", "0"] as const;
export const MTU_MIN = 576;
export const MTU_MAX = 65520;

export interface SettingSpec {
  key: SettingKey;
  env: string;
  /** the `configure` flag, e.g. "--net" */
  flag: string;
  /** allowed values; undefined for free-form (a path, a number, extra flags) */
  values?: readonly string[];
  description: string;
  /** the default as the seed states it (auto-detected ones say so) */
  defaultText: string;
  /** a proxy variable for containerd itself, not a CONTAINERD_ROOTLESS_ROOTLESSKIT_* one */
  proxy?: true;
}

export const SETTINGS: readonly SettingSpec[] = [
  { key: "stateDir", env: `${ENV_PREFIX}STATE_DIR`, flag: "--state-dir", description: "the RootlessKit state dir (absolute path)", defaultText: "$XDG_RUNTIME_DIR/containerd-rootless" },
  { key: "net", env: `${ENV_PREFIX}NET`, flag: "--net", values: NET_DRIVERS, description: "the RootlessKit network driver", defaultText: "slirp4netns if slirp4netns >= 0.4.0 is installed, else vpnkit, else gvisor-tap-vsock (when RootlessKit has it)" },
  { key: "mtu", env: `${ENV_PREFIX}MTU`, flag: "--mtu", description: `the MTU of the network driver (${MTU_MIN}-${MTU_MAX})`, defaultText: "65520 for slirp4netns and for gvisor-tap-vsock when chosen automatically, 1500 for other drivers" },
  { key: "portDriver", env: `${ENV_PREFIX}PORT_DRIVER`, flag: "--port-driver", values: PORT_DRIVERS, description: "the RootlessKit port driver", defaultText: "builtin" },
  { key: "slirp4netnsSandbox", env: `${ENV_PREFIX}SLIRP4NETNS_SANDBOX`, flag: "--slirp4netns-sandbox", values: TRISTATE, description: "protect slirp4netns with a dedicated mount namespace", defaultText: "auto" },
  { key: "slirp4netnsSeccomp", env: `${ENV_PREFIX}SLIRP4NETNS_SECCOMP`, flag: "--slirp4netns-seccomp", values: TRISTATE, description: "protect slirp4netns with seccomp", defaultText: "auto" },
  { key: "detachNetns", env: `${ENV_PREFIX}DETACH_NETNS`, flag: "--detach-netns", values: DETACH_VALUES, description: 'the "detach-netns" mode', defaultText: "auto (on with RootlessKit >= 2.0)" },
  { key: "ipv6", env: `${ENV_PREFIX}IPV6`, flag: "--ipv6", values: BOOL_VALUES, description: "enable IPv6 inside the network namespace (RootlessKit's --ipv6; slirp4netns and pasta)", defaultText: "false" },
  { key: "flags", env: `${ENV_PREFIX}FLAGS`, flag: "--flags", description: "extra RootlessKit flags, appended verbatim", defaultText: "(none)" },
  { key: "httpProxy", env: "HTTP_PROXY", flag: "--http-proxy", description: "the proxy containerd uses for http:// (a URL with a scheme, e.g. http://proxy.example.com:3128)", defaultText: "(none: the service does not see your shell's variables)", proxy: true },
  { key: "httpsProxy", env: "HTTPS_PROXY", flag: "--https-proxy", description: "the proxy containerd uses for https://, e.g. pulling from registries (a URL with a scheme)", defaultText: "(none: the service does not see your shell's variables)", proxy: true },
  { key: "noProxy", env: "NO_PROXY", flag: "--no-proxy", description: "hosts containerd reaches without the proxy (comma-separated names, .domains, IPs, CIDRs)", defaultText: "(none)", proxy: true },
];

/** The CONTAINERD_ROOTLESS_ROOTLESSKIT_* settings alone: what the launcher reads. */
export const ROOTLESSKIT_SETTINGS: readonly SettingSpec[] = SETTINGS.filter((s) => !s.proxy);

export function settingSpec(key: SettingKey): SettingSpec {
  return SETTINGS.find((s) => s.key === key)!;
}

/** Finds a setting by key, env name, short env name ("NET"), or flag ("--net", "net"). */
export function findSetting(name: string): SettingSpec | undefined {
  const n = name.trim();
  const upper = n.toUpperCase().replace(/-/g, "_");
  return SETTINGS.find(
    (s) => s.key === n || s.env === n || s.env === ENV_PREFIX + upper || s.flag === n || s.flag === `--${n.toLowerCase()}`,
  );
}

/** Raw values as strings, keyed by setting; unset keys are absent. */
export type RawSettings = Partial<Record<SettingKey, string>>;

/** The syntactically valid, typed form. `undefined` means "not set: use the default". */
export interface SettingsInput {
  stateDir?: string;
  net?: NetDriver;
  mtu?: number;
  portDriver?: string;
  slirp4netnsSandbox?: "auto" | "true" | "false";
  slirp4netnsSeccomp?: "auto" | "true" | "false";
  detachNetns?: "auto" | "true" | "false";
  ipv6?: boolean;
  flags?: string[];
}

export interface SettingProblem {
  key: SettingKey;
  value: string;
  message: string;
}

/** An invalid setting; the message names the variable or flag, the value and what is allowed. */
export class SettingsError extends UserError {
  constructor(
    readonly problems: SettingProblem[],
    fix?: string,
    sudoFix?: string[],
  ) {
    super(problems.map((p) => p.message).join("\n"), fix, 1, sudoFix);
    this.name = "SettingsError";
  }
}

export type NameStyle = "env" | "flag";

export function settingName(key: SettingKey, style: NameStyle): string {
  const spec = settingSpec(key);
  return style === "env" ? spec.env : spec.flag;
}

/**
 * Splits extra flags into words like a POSIX shell splits a command line: whitespace
 * separates, single and double quotes group, a backslash escapes. No expansion.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`);
  if (inWord) words.push(cur);
  return words;
}

/** Checks one value; returns the problem text (without the name) or null. */
export function valueProblem(key: SettingKey, value: string): string | null {
  const spec = settingSpec(key);
  switch (key) {
    case "stateDir":
      return value.startsWith("/") ? null : "expected an absolute path";
    case "mtu": {
      if (!/^\d+$/.test(value)) return `expected a number from ${MTU_MIN} to ${MTU_MAX}`;
      const n = Number(value);
      return n >= MTU_MIN && n <= MTU_MAX ? null : `out of range: the MTU must be from ${MTU_MIN} to ${MTU_MAX}`;
    }
    case "flags":
      try {
        splitWords(value);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    case "httpProxy":
    case "httpsProxy":
      return proxyUrlProblem(value);
    case "noProxy":
      return noProxyProblem(value);
    default:
      return spec.values!.includes(value) ? null : `expected one of: ${spec.values!.join(", ")}`;
  }
}

/**
 * Turns raw strings into typed RootlessKit settings, or throws SettingsError listing every bad
 * value. Proxy values are checked when the user gives them (style "flag"); read back from the
 * service's environment ("env") they are containerd's business, not RootlessKit's, and a
 * scheme-less proxy in the manager's environment must not stop the launcher or `configure`.
 */
export function parseSettings(raw: RawSettings, style: NameStyle = "env"): SettingsInput {
  const problems: SettingProblem[] = [];
  const out: SettingsInput = {};
  for (const spec of SETTINGS) {
    const value = raw[spec.key];
    if (value === undefined || (value === "" && spec.key !== "flags")) continue;
    if (spec.proxy && style === "env") continue;
    const problem = valueProblem(spec.key, value);
    if (problem) {
      const name = style === "env" ? `${spec.env}="${value}"` : `${spec.flag}=${value}`;
      problems.push({ key: spec.key, value, message: `invalid ${name}: ${problem}` });
      continue;
    }
    switch (spec.key) {
      case "stateDir":
        out.stateDir = value;
        break;
      case "net":
        out.net = value as NetDriver;
        break;
      case "mtu":
        out.mtu = Number(value);
        break;
      case "portDriver":
        out.portDriver = value;
        break;
      case "slirp4netnsSandbox":
        out.slirp4netnsSandbox = value as "auto";
        break;
      case "slirp4netnsSeccomp":
        out.slirp4netnsSeccomp = value as "auto";
        break;
      case "detachNetns":
        out.detachNetns = value === "1" ? "true" : value === "0" ? "false" : (value as "auto");
        break;
      case "ipv6":
        out.ipv6 = value === "true" || value === "1";
        break;
      case "flags":
        out.flags = splitWords(value);
        break;
      default:
        break; // a proxy: valid, and not a RootlessKit input
    }
  }
  if (problems.length) {
    throw new SettingsError(
      problems,
      style === "env"
        ? "Fix or remove the variable in ~/.config/systemd/user/containerd.service.d/override.conf (`containerd-rootless-systemd configure --reset KEY`), then `systemctl --user daemon-reload`."
        : "Run `containerd-rootless-systemd configure --help` for the allowed values.",
    );
  }
  return out;
}

/** The CONTAINERD_ROOTLESS_ROOTLESSKIT_* values present in an environment (not the proxies). */
export function rawSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): RawSettings {
  const raw: RawSettings = {};
  for (const spec of ROOTLESSKIT_SETTINGS) {
    const v = env[spec.env];
    if (v !== undefined) raw[spec.key] = v;
  }
  return raw;
}

/** The values as environment variables (for a drop-in or a child process). */
export function rawSettingsToEnv(raw: RawSettings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of SETTINGS) if (raw[spec.key] !== undefined) env[spec.env] = raw[spec.key]!;
  return env;
}

/** `configure` flags ({"net": "pasta", "mtu": "1500"} or {"--net": ...}) to raw settings. */
export function rawSettingsFromFlags(flags: Readonly<Record<string, unknown>>): RawSettings {
  const raw: RawSettings = {};
  for (const spec of SETTINGS) {
    const name = spec.flag.slice(2);
    const v = flags[name] ?? flags[spec.flag] ?? flags[spec.key];
    if (v !== undefined && v !== null && v !== false) raw[spec.key] = String(v);
  }
  return raw;
}
