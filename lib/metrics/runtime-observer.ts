/**
 * What the runtime reports as it works, for metrics, progress display or tests. Every method is
 * called synchronously on the runtime's path, so implementations must be cheap and must not
 * throw; counts come in batches (`n`), and times are passed in (the runtime computes them from
 * its injected clock or event time — an observer never reads a clock itself).
 *
 * The seven required methods are the contract; the optional ones are called with `?.()` when the
 * runtime knows the figure.
 */
export interface RuntimeObserver {
  /** `n` messages received from a source topic. */
  onIn(topic: string, n: number): void;
  /** `n` events sent to (and confirmed by) a sink topic. */
  onOut(topic: string, n: number): void;
  /** Messages dead-lettered, by `DeadLetterReason` (default n = 1). */
  onDeadLetter(reason: string, n?: number): void;
  /** Records routed to a side output, by tag: late, rejected, overflow, ... (default n = 1). */
  onSide(tag: string, n?: number): void;
  /** `n` input messages acknowledged. */
  onAck(n: number): void;
  /** `n` input messages negatively acknowledged. */
  onNack(n: number): void;
  /** One end-to-end latency sample, in seconds (receive to sink confirmation). */
  onLatency(seconds: number): void;
  /** `n` messages arrived with a redelivery count above zero. */
  onRedelivery?(n: number): void;
  /** Messages currently in flight (received, not yet acked or nacked). */
  onInFlight?(n: number): void;
  /** Event-time lag of the watermark behind the newest event time seen, in ms. */
  onWatermarkLag?(ms: number): void;
  /**
   * One window-output latency sample, in seconds: from the hand-off of the watermark that closed
   * the window to the sink's confirmation of an output it released (`RuntimeStats.windowLatency`).
   */
  onWindowLatency?(seconds: number): void;
}

/** Fan one runtime's reports out to several observers, in order. */
export function combineObservers(...observers: readonly RuntimeObserver[]): Required<RuntimeObserver> {
  return {
    onIn: (topic, n) => {
      for (const o of observers) o.onIn(topic, n);
    },
    onOut: (topic, n) => {
      for (const o of observers) o.onOut(topic, n);
    },
    onDeadLetter: (reason, n) => {
      for (const o of observers) o.onDeadLetter(reason, n);
    },
    onSide: (tag, n) => {
      for (const o of observers) o.onSide(tag, n);
    },
    onAck: (n) => {
      for (const o of observers) o.onAck(n);
    },
    onNack: (n) => {
      for (const o of observers) o.onNack(n);
    },
    onLatency: (seconds) => {
      for (const o of observers) o.onLatency(seconds);
    },
    onRedelivery: (n) => {
      for (const o of observers) o.onRedelivery?.(n);
    },
    onInFlight: (n) => {
      for (const o of observers) o.onInFlight?.(n);
    },
    onWatermarkLag: (ms) => {
      for (const o of observers) o.onWatermarkLag?.(ms);
    },
    onWindowLatency: (seconds) => {
      for (const o of observers) o.onWindowLatency?.(seconds);
    },
  };
}
