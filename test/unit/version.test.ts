import { test, expect } from "bun:test";
import { parseVersion, atLeast } from "../../src/core/os/version.ts";
test("v", () => { expect(parseVersion("rootlesskit version 1.1.0")).toBe("1.1.0"); expect(parseVersion("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1")).toBe("1.6.20"); expect(atLeast("0.13.0","0.4.0")).toBe(true); expect(atLeast("1.1.0","2.0.0")).toBe(false); });
