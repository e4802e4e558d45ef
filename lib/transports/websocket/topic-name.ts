import { WebSocketPulsarError } from "./errors.js";

/** A Pulsar topic name split into the parts the WebSocket API's URLs are built from. */
export interface TopicName {
  readonly domain: "persistent" | "non-persistent";
  readonly tenant: string;
  readonly namespace: string;
  readonly localName: string;
  /** `domain://tenant/namespace/localName`, as pulsar-client's `Message.getTopicName()` prints it. */
  readonly fullName: string;
  /** `domain/tenant/namespace/localName` with each part URL-encoded, for `/ws/v2/<role>/<path>`. */
  readonly urlPath: string;
}

/**
 * Parses a topic name the way Pulsar does: `my-topic` is `persistent://public/default/my-topic`,
 * `tenant/ns/topic` is persistent, and `persistent://` or `non-persistent://` names are taken as
 * given. Throws `InvalidConfiguration` for anything else (the v1 cluster form is not supported).
 */
export function parseTopicName(name: string): TopicName {
  let domain: TopicName["domain"] = "persistent";
  let rest = name;
  const scheme = /^([a-z-]+):\/\/(.*)$/.exec(name);
  if (scheme !== null) {
    if (scheme[1] !== "persistent" && scheme[1] !== "non-persistent") {
      throw new WebSocketPulsarError("InvalidConfiguration", "Invalid topic name", name);
    }
    domain = scheme[1];
    rest = scheme[2]!;
  }
  const parts = rest.split("/");
  let tenant: string;
  let namespace: string;
  let localName: string;
  if (scheme === null && parts.length === 1) {
    tenant = "public";
    namespace = "default";
    localName = parts[0]!;
  } else if (parts.length >= 3) {
    tenant = parts[0]!;
    namespace = parts[1]!;
    localName = parts.slice(2).join("/");
  } else {
    throw new WebSocketPulsarError("InvalidConfiguration", "Invalid topic name", name);
  }
  if (tenant === "" || namespace === "" || localName === "") {
    throw new WebSocketPulsarError("InvalidConfiguration", "Invalid topic name", name);
  }
  return {
    domain,
    tenant,
    namespace,
    localName,
    fullName: `${domain}://${tenant}/${namespace}/${localName}`,
    urlPath: [domain, tenant, namespace, localName].map(encodeURIComponent).join("/"),
  };
}
