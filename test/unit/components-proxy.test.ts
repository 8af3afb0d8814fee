import { expect, test } from "bun:test";
import { proxyFor } from "../../src/core/components/proxy.ts";

const u = (s: string) => new URL(s);

test("HTTPS_PROXY is used for https URLs and HTTP_PROXY for http; lower-case wins as in curl", () => {
  expect(proxyFor(u("https://github.com/x"), { HTTPS_PROXY: "http://p:3128" })).toBe("http://p:3128");
  expect(proxyFor(u("https://github.com/x"), { HTTPS_PROXY: "http://p:3128", https_proxy: "http://q:1" })).toBe("http://q:1");
  expect(proxyFor(u("http://mirror.lan/x"), { HTTPS_PROXY: "http://p:3128" })).toBeUndefined();
  expect(proxyFor(u("http://mirror.lan/x"), { HTTP_PROXY: "http://p:3128" })).toBe("http://p:3128");
});

test("NO_PROXY: domain suffixes, a leading dot, *, host:port and IPs bypass the proxy", () => {
  const env = (no: string) => ({ HTTPS_PROXY: "http://p:3128", NO_PROXY: no });
  expect(proxyFor(u("https://objects.github.com/x"), env("github.com"))).toBeUndefined();
  expect(proxyFor(u("https://objects.github.com/x"), env(".github.com"))).toBeUndefined();
  expect(proxyFor(u("https://notgithub.com/x"), env("github.com"))).toBe("http://p:3128");
  expect(proxyFor(u("https://anything/x"), env("*"))).toBeUndefined();
  expect(proxyFor(u("https://127.0.0.1:8443/x"), env("localhost, 127.0.0.1:8443"))).toBeUndefined();
  expect(proxyFor(u("https://127.0.0.1:9443/x"), env("127.0.0.1:8443"))).toBe("http://p:3128");
});
