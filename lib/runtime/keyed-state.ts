import type { KeyedState } from "../topology/types.js";
import type { TopicTail } from "./topic-tail.js";
import type { TopicWriter } from "./topic-writer.js";

/** What a changelog entry carries: `{ key, value }` JSON, partition key = state key. */
interface ChangelogEntry {
  readonly key: string;
  readonly value: unknown;
}

/**
 * A step's per-key state backed by a changelog topic.
 *
 * - Every `set` updates the in-memory table and appends `{ key, value }` to the changelog; the
 *   write is an output of the ack tracker, so the messages the change derives from are acked only
 *   once it is persisted (a worker that stops gracefully has written every change of every
 *   message it acked).
 * - `catchUp()` reads the changelog up to its current end ({@link TopicTail}) and applies the entries of
 *   keys this worker has not processed itself (`ownedKeys`): for its own keys the in-memory table
 *   is newer than anything in the log. The runtime calls it at start and before the first record
 *   of a key new to this worker — which is how state follows a key that moved here.
 */
export class ChangelogState<S> implements KeyedState<S> {
  private readonly table = new Map<string, S>();
  private seq = 0;

  constructor(
    readonly topic: string,
    private readonly writer: TopicWriter,
    private readonly tail: TopicTail,
    private readonly ownedKeys: ReadonlySet<string>,
    /** The ack tracker's output accounting: a changelog write is an output like any other. */
    private readonly lineage: {
      started(): number;
      confirmed(token: number): void;
    },
    private readonly workerId: string,
  ) {}

  get(key: string): S | undefined {
    return this.table.get(key);
  }

  set(key: string, value: S): void {
    this.table.set(key, value);
    const token = this.lineage.started();
    const entry: ChangelogEntry = { key, value };
    this.writer.write({
      data: Buffer.from(JSON.stringify(entry), "utf8"),
      key,
      eventId: `${this.workerId}:${this.seq++}`,
      eventTime: 0,
      done: () => this.lineage.confirmed(token),
    });
  }

  async catchUp(): Promise<void> {
    await this.tail.readToEnd((m) => {
      let entry: ChangelogEntry;
      try {
        entry = JSON.parse(m.getData().toString("utf8")) as ChangelogEntry;
      } catch {
        return; // not ours; a changelog only holds what ChangelogState wrote
      }
      if (typeof entry?.key !== "string" || this.ownedKeys.has(entry.key)) return;
      this.table.set(entry.key, entry.value as S);
    });
  }

  async close(): Promise<void> {
    await this.tail.close();
  }
}
