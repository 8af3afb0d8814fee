// Headless output. Human lines follow the seed's transcript: `[INFO] ...` on stdout,
// `[WARNING] ...` and `[ERROR] ...` on stderr; colour only on a terminal and never with
// NO_COLOR. With --json, human lines are kept off stdout (warnings and errors still go to
// stderr) and the command prints one JSON document at the end.
// consola/core: the logger without its default reporters and prompts (we bring our own reporter), less to load on every command
import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";
import type { Host } from "../os/host.ts";

export interface OutputOptions {
  json?: boolean;
  verbose?: boolean;
}

const TAGS: Record<string, { tag: string; color: string; stream: "out" | "err" }> = {
  info: { tag: "INFO", color: "\x1b[36m", stream: "out" },
  success: { tag: "INFO", color: "\x1b[32m", stream: "out" },
  log: { tag: "", color: "", stream: "out" },
  warn: { tag: "WARNING", color: "\x1b[33m", stream: "err" },
  error: { tag: "ERROR", color: "\x1b[31m", stream: "err" },
  debug: { tag: "DEBUG", color: "\x1b[90m", stream: "err" },
};

export function useColor(host: Host, stream: "out" | "err"): boolean {
  if (host.env.NO_COLOR !== undefined && host.env.NO_COLOR !== "") return false;
  if (host.env.FORCE_COLOR && host.env.FORCE_COLOR !== "0") return true;
  return stream === "out" ? host.stdoutIsTTY : host.stderrIsTTY;
}

export class Reporter {
  readonly json: boolean;
  readonly verbose: boolean;
  private readonly consola: ConsolaInstance;

  constructor(
    readonly host: Host,
    opts: OutputOptions = {},
  ) {
    this.json = Boolean(opts.json);
    this.verbose = Boolean(opts.verbose);
    this.consola = createConsola({
      level: this.verbose ? 4 : 3,
      throttle: 0, // never collapse repeated lines: each one is a fact
      reporters: [{ log: (obj) => this.write(obj) }],
    });
  }

  private write(obj: LogObject): void {
    const spec = TAGS[obj.type] ?? TAGS.info!;
    if (this.json && spec.stream === "out") return;
    const text = obj.args.map(String).join(" ");
    const color = useColor(this.host, spec.stream);
    const tag = spec.tag ? (color ? `${spec.color}[${spec.tag}]\x1b[0m ` : `[${spec.tag}] `) : "";
    const line = text
      .split("\n")
      .map((l, i) => (i === 0 ? tag + l : l))
      .join("\n");
    if (spec.stream === "out") this.host.writeOut(line + "\n");
    else this.host.writeErr(line + "\n");
  }

  info(message: string): void {
    this.consola.info(message);
  }
  success(message: string): void {
    this.consola.success(message);
  }
  warn(message: string): void {
    this.consola.warn(message);
  }
  error(message: string): void {
    this.consola.error(message);
  }
  debug(message: string): void {
    this.consola.debug(message);
  }
  /** A plain line without a tag (blocks, tables, diffs). */
  plain(text: string): void {
    this.consola.log(text);
  }
  /** The machine-readable result, printed only with --json. */
  result(value: unknown): void {
    if (this.json) this.host.writeOut(JSON.stringify(value, null, 2) + "\n");
  }
}
