import { describe, expect, it } from "vitest";
import { parseTopicName } from "./topic-name.js";

describe("parseTopicName", () => {
  it("puts a bare name in persistent://public/default", () => {
    const t = parseTopicName("signals");
    expect(t.fullName).toBe("persistent://public/default/signals");
    expect(t.urlPath).toBe("persistent/public/default/signals");
  });

  it("takes tenant/namespace/topic as persistent", () => {
    expect(parseTopicName("acme/desk/orders").fullName).toBe("persistent://acme/desk/orders");
  });

  it("keeps an explicit domain", () => {
    const t = parseTopicName("non-persistent://public/default/ticks");
    expect([t.domain, t.tenant, t.namespace, t.localName]).toEqual(["non-persistent", "public", "default", "ticks"]);
  });

  it("URL-encodes every part of the path", () => {
    expect(parseTopicName("persistent://public/default/a b?c").urlPath).toBe("persistent/public/default/a%20b%3Fc");
  });

  it("rejects other schemes and incomplete names", () => {
    expect(() => parseTopicName("kafka://a/b/c")).toThrow(/InvalidConfiguration/);
    expect(() => parseTopicName("public/default")).toThrow(/InvalidConfiguration/);
    expect(() => parseTopicName("persistent://public/default/")).toThrow(/InvalidConfiguration/);
    expect(() => parseTopicName("")).toThrow(/InvalidConfiguration/);
  });
});
