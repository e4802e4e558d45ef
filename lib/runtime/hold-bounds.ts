import type { OperatorInfo } from "../stream/operator.js";

/** Event time → event time (or watermark); `undefined` is the identity. */
type Bound = ((t: number) => number) | undefined;

export interface HoldStep {
  readonly name: string;
  /** Sources and steps the step reads. */
  readonly from: readonly string[];
  readonly info: OperatorInfo | undefined;
}

const then = (f: Bound, g: (t: number) => number): ((t: number) => number) => (f ? (t) => g(f(t)) : g);

function maxOf(fs: readonly Bound[]): Bound {
  if (fs.length === 1) return fs[0];
  if (fs.every((f) => f === undefined)) return undefined;
  const all = fs.map((f) => f ?? ((t: number) => t));
  return (t) => {
    let m = all[0]!(t);
    for (let i = 1; i < all.length; i++) m = Math.max(m, all[i]!(t));
    return m;
  };
}

/**
 * Per source, until which watermark a message at event time `t` must stay unacked: the last
 * watermark at which any step it reaches may still emit something derived from it. Along a path
 * the bounds compose — a window's output carries a later event time ({@link OperatorInfo.derivedTime})
 * into the next window — and over paths the latest wins. A step that knows its bound exactly
 * (fixed windows: `retainUntil`) gives it; otherwise `t + retentionMs`. `steps` in topological
 * order. A source whose steps retain nothing gets `t`.
 */
export function holdBounds(sources: readonly string[], steps: readonly HoldStep[]): Map<string, (t: number) => number> {
  const out = new Map<string, (t: number) => number>();
  for (const source of sources) {
    const time = new Map<string, Bound>([[source, undefined]]);
    const holds: Bound[] = [];
    for (const step of steps) {
      const inputs = step.from.filter((f) => time.has(f));
      if (inputs.length === 0) continue;
      const input = maxOf(inputs.map((f) => time.get(f)));
      const info = step.info;
      const ret = info?.retentionMs ?? 0;
      if (info?.retainUntil) holds.push(then(input, info.retainUntil));
      else if (ret > 0) holds.push(then(input, (t) => t + ret));
      if (info?.derivedTime) time.set(step.name, then(input, info.derivedTime));
      else time.set(step.name, ret > 0 ? then(input, (t) => t + ret) : input);
    }
    out.set(source, maxOf(holds.length > 0 ? holds : [undefined]) ?? ((t) => t));
  }
  return out;
}
