// A plan is the list of steps a command will take. It can be rendered (with diffs) for
// --dry-run and review, then applied with a journal so a failure rolls back what this run
// did. (Step kinds are shared by the lifecycle commands and every add-on.)
import type { Host } from "./host.ts";

export type Step =
  | { kind: "write"; path: string; content: string; mode?: number; why?: string }
  | { kind: "remove"; path: string; recursive?: boolean; why?: string }
  | { kind: "systemctl"; args: string[]; why?: string }
  | { kind: "wait"; what: string; timeoutMs: number; ready: (host: Host) => Promise<boolean> };
