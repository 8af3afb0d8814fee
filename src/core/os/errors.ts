// An error the user can act on: what failed, and what to type to fix it.
// Commands throw it; the CLI prints it as `[ERROR] message` plus the fix, with no stack.

export class UserError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
    readonly exitCode = 1,
    readonly sudoFix?: string[],
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** Bad command-line usage: exit code 2, usage printed. */
export class UsageError extends UserError {
  constructor(message: string, fix?: string) {
    super(message, fix, 2);
    this.name = "UsageError";
  }
}
