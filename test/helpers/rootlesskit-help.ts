// The `rootlesskit --help` fixtures (test/fixtures/rootlesskit/help-VERSION.txt) without their
// source header, and a TestHost handler that answers like that RootlessKit would.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ok, type Handler } from "./test-host.ts";

export type HelpFixture = "1.1.0" | "2.3.6" | "3.0.0";

export function rootlesskitHelp(version: HelpFixture): string {
  const text = readFileSync(join(import.meta.dir, "..", "fixtures", "rootlesskit", `help-${version}.txt`), "utf8");
  return text.slice(text.indexOf("# ---\n") + "# ---\n".length);
}

/** --help prints `help`, --version its VERSION: line; anything else (the smoke test) prints `other`. */
export function rootlesskitHandler(help: string, other = ""): Handler {
  const version = /^VERSION:\s*\n\s*(\S+)/m.exec(help)?.[1] ?? "unknown";
  return (argv) => (argv[1] === "--help" ? ok(help) : argv[1] === "--version" ? ok(`rootlesskit version ${version}\n`) : ok(other));
}

/** A build without the slirp4netns driver (build tag no_slirp4netns: pkg/network/slirp4netns/slirp4netns_disabled.go at v3.0.0). */
export function withoutDriver(help: string, driver: string): string {
  return help.replace(new RegExp(`, ${driver}(?=[,\\]])`, "g"), "");
}
