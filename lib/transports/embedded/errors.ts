/** Failure codes named after the pulsar-client (C++ `Result`) results they stand for. */
export type EmbeddedErrorCode =
  | "AlreadyClosed"
  | "ConsumerBusy"
  | "InvalidConfiguration"
  | "NotSupported"
  | "TimeOut"
  | "InvalidMessage";

/**
 * Error thrown or rejected by the embedded broker. Like pulsar-client's errors it is a plain
 * `Error` whose message reads `<operation>: <Result>`; `code` carries the result name.
 */
export class EmbeddedPulsarError extends Error {
  constructor(
    readonly code: EmbeddedErrorCode,
    operation: string,
    detail?: string,
  ) {
    super(`${operation}: ${code}${detail === undefined ? "" : ` (${detail})`}`);
    this.name = "EmbeddedPulsarError";
  }
}

/** A promise already resolved with `null`, shared by the many calls that return `Promise<null>`. */
export const RESOLVED_NULL: Promise<null> = Promise.resolve(null);
