/**
 * Lanes: how a worker runs the keys a stopped worker handed over (see {@link Lanes}).
 */
import { BehaviorSubject, type Subscription } from "rxjs";
import type { StreamItem } from "../stream/item.js";
import type { AckTracker, Inbound } from "./ack-tracker.js";
import type { Fanout } from "../stream/fanout.js";
import type { HandOver } from "./finished-records.js";
import { AsOfTable } from "./side-table.js";

type Item = StreamItem<unknown>;
type SideSubjects = ReadonlyMap<string, BehaviorSubject<ReadonlyMap<string, unknown>>>;

/** One instance of the topology's steps, entered through one subject per source. */
export interface WiredPipeline {
  readonly subs: Subscription[];
  readonly subjects: Fanout<Item>[];
  readonly bySource: Map<string, Fanout<Item>>;
}

/** What lanes need from the runtime that hosts them. */
export interface LaneHost {
  /** The worker's side tables, by side-input name. */
  readonly tables: ReadonlyMap<string, AsOfTable<unknown>>;
  readonly ackTracker: AckTracker;
  /** The main watermark. */
  watermark(): number;
  /** The event time of the latest side-input update the worker released. */
  lastSideTime(): number;
  /** Every feed (sources and side inputs) is idle or ended. */
  allIdle(): boolean;
  /** `name` is a source (not a side input). */
  isSource(name: string): boolean;
  /** The merge's total order: record `a` of source `sa` goes before `b` of `sb`. */
  before(a: Inbound, sa: string, b: Inbound, sb: string): boolean;
  /** A new instance of the steps and sinks reading these side inputs. */
  wire(sides: SideSubjects): WiredPipeline;
  /** Side-table reads as of event time `t` (+∞ = latest). */
  asOf(t: number): void;
  /** Deal with an error a push raised in a pipeline (if any). */
  afterPush(): void;
  /** Release the acks the watermarks allow (now or in a task of their own). */
  advanceAcks(): void;
  /** Push a record into a pipeline instance and mark it processed. */
  push(subject: Fanout<Item>, m: Inbound): void;
  /** Push a watermark into a pipeline instance's subjects (its sink outputs are window outputs). */
  pushWatermark(subjects: readonly Fanout<Item>[], wm: Item): void;
  /** Every update of a side-input topic from its start. */
  readSideInput(name: string, onUpdate: (key: string, eventTime: number, value: unknown) => void): Promise<void>;
  stopping(): boolean;
  failed(): boolean;
  fail(e: Error): void;
  /** Resume the worker's merge. */
  pump(): void;
}

export interface LaneOptions {
  /** Idle ticks a lane waits for a source, and without records behind the main watermark before it follows. */
  readonly graceTicks: number;
  readonly sideInputHistoryMs: number;
  readonly watermarkIntervalMs: number;
}

/**
 * A key that a stopped worker handed over can arrive here behind this worker's watermark, and keep
 * arriving behind it: its redelivered records belong to windows that are still open for it but
 * already due here, and on a real broker the key's later messages can trail newer messages of
 * other keys on the same topic by days of event time (Pulsar's Key_Shared dispatcher replays a
 * moved key's messages apart from the rest; seen in the real-broker suite). The main pipeline
 * would send them to `late`. So every handed-over key gets a lane — its own instance of the
 * topology's steps (keyed state and sinks shared) with
 * - its own watermark, which starts at the previous owner's (from its hand-over entry,
 *   {@link FinishedRecords}, or this worker's if lower) and follows the lane's records as the main
 *   watermark follows the worker's, stopping before every side-input update in between;
 * - its own merge of its records by source ({@link drain});
 * - its own side tables ({@link open}), updated in the lane's own time ({@link advance});
 * - its own ack clock in the {@link AckTracker}, so a lane behind does not hold back other keys'
 *   acks.
 *
 * A lane takes the main watermark once none of its records came behind the main one for
 * `graceTicks`, or once every source is idle and its keys were quiet for two idle ticks. Keys
 * handed over together share a lane.
 */
interface Lane {
  /** The watermark its keys were handed over with. */
  readonly from: number;
  readonly clock: number;
  /**
   * The lane's own side tables — a copy of the worker's when the lane opens, or, if it starts
   * further behind than those keep history, read from the side-input topics — then kept up like
   * the worker's; and their subjects, updated in the lane's own time.
   */
  readonly tables: Map<string, AsOfTable<unknown>>;
  sides: Map<string, BehaviorSubject<ReadonlyMap<string, unknown>>>;
  /** Event times of side-input updates, ascending, from `sideTimesHead` (the lane's to come). */
  sideTimes: number[];
  sideTimesHead: number;
  /** Its side tables are read: the lane runs (until then its records wait in `bufs`). */
  ready: boolean;
  /** Event time of the latest side-input update the lane's side inputs were given. */
  sideApplied: number;
  pipeline: WiredPipeline | undefined;
  watermark: number;
  lastRecordWm: number;
  following: boolean;
  /** Lane records received so far, and as of the previous idle tick. */
  arrived: number;
  arrivedAtLastTick: number;
  quietTicks: number;
  /** The idle tick during which a lane record last came behind the main watermark. */
  behindAtTick: number;
  /** Lane records not released yet, by source (see {@link Lanes.drain}). */
  readonly bufs: Map<string, Inbound[]>;
  /** Sources the lane may wait for, with the idle tick until which it waits. */
  readonly lagging: Map<string, number>;
}

/** The lanes of one worker. */
export class Lanes {
  private readonly lanes: Lane[] = [];
  private readonly laneOf = new Map<string, Lane>();
  /** The lanes' side tables, for {@link LaneHost.asOf}. */
  readonly tableList: AsOfTable<unknown>[] = [];
  /** Lanes opened so far. */
  opened = 0;
  /** Lanes still reading their side tables. */
  loading = 0;
  /**
   * Records waiting in lanes' merges. Backpressure should not count them: a lane may be waiting
   * for the very source whose receiving they would stop.
   */
  buffered = 0;
  /** Idle ticks so far. */
  private ticks = 0;

  constructor(
    private readonly host: LaneHost,
    private readonly options: LaneOptions,
  ) {}

  get size(): number {
    return this.lanes.length;
  }

  /** Whether `key` runs on a lane. */
  has(key: string): boolean {
    return this.laneOf.size > 0 && this.laneOf.has(key);
  }

  /** Open (or join) the lane for a key a stopped worker handed over. */
  open(key: string, handOver: HandOver): void {
    const host = this.host;
    const from = handOver.watermark;
    const start = Math.min(from, host.watermark());
    let lane = this.lanes.length > 0 ? this.lanes[this.lanes.length - 1] : undefined;
    // Keys handed over together share a lane, unless it has moved on since.
    if (lane === undefined || lane.following || lane.from !== from || lane.watermark > start) {
      lane = {
        from,
        clock: host.ackTracker.addClock(),
        tables: new Map(
          [...host.tables.keys()].map((name) => [name, new AsOfTable<unknown>(this.options.sideInputHistoryMs)]),
        ),
        sides: new Map(),
        sideTimes: [],
        sideTimesHead: 0,
        ready: false,
        sideApplied: start,
        pipeline: undefined,
        watermark: start,
        lastRecordWm: Number.NEGATIVE_INFINITY,
        following: false,
        arrived: 0,
        arrivedAtLastTick: 0,
        quietTicks: 0,
        behindAtTick: this.ticks,
        bufs: new Map(),
        lagging: new Map(),
      };
      for (const t of lane.tables.values()) this.tableList.push(t);
      this.lanes.push(lane);
      this.opened++;
      if ([...host.tables.values()].every((t) => start >= t.exactFrom)) {
        // The worker's tables still answer reads as of the lane's start: copy them.
        const times: number[] = [];
        for (const [name, t] of host.tables)
          for (const u of t.copyInto(lane.tables.get(name)!)) if (u > start) times.push(u);
        lane.sideTimes = sortedUnique(times);
        lane.ready = true;
        this.rewire(lane);
      } else void this.load(lane);
    }
    this.laneOf.set(key, lane);
    // Its redeliveries come for certain: their sources hold the lane back until they do.
    for (const source of handOver.openSources) {
      if (host.isSource(source)) lane.lagging.set(source, this.ticks + this.options.graceTicks);
    }
  }

  /** A record of a key on a lane, released by the worker's merge from `source`. */
  receive(source: string, m: Inbound): void {
    const lane = this.laneOf.get(m.key)!;
    if (lane.following) {
      m.clock = lane.clock;
      this.host.push(lane.pipeline!.bySource.get(source)!, m);
      return;
    }
    if (m.eventTime <= this.host.watermark()) lane.behindAtTick = this.ticks;
    let q = lane.bufs.get(source);
    if (q === undefined) lane.bufs.set(source, (q = []));
    q.push(m);
    this.buffered++;
    lane.arrived++;
    lane.lagging.set(source, this.ticks + this.options.graceTicks);
    this.drain(lane, false);
  }

  /** The worker applied a side-input update: the lanes' tables get it too. */
  sideUpdate(name: string, key: string, eventTime: number, value: unknown): void {
    for (const lane of this.lanes) {
      const table = lane.tables.get(name)!;
      table.apply(key, eventTime, value); // (again, if its first read had it: same version)
      const times = lane.sideTimes;
      if (times.length === 0 || times[times.length - 1]! < eventTime) times.push(eventTime);
      if (lane.following && lane.ready) {
        lane.sideApplied = eventTime;
        lane.sides.get(name)!.next(table);
      }
    }
  }

  /** The main watermark moved to `t` (`wm` is its item): lanes that follow it get it. */
  mainWatermark(wm: Item & { kind: "watermark" }): void {
    for (const lane of this.lanes) {
      if (!lane.following || lane.pipeline === undefined) continue;
      lane.watermark = wm.time;
      for (const s of lane.pipeline.subjects) s.next(wm);
    }
  }

  /** The worker's final watermark: every lane follows it. */
  end(): void {
    for (const lane of this.lanes) if (!lane.following) this.follow(lane);
  }

  /** Idle tick: a lane takes the main watermark after its grace, or when everything is quiet. */
  tick(): void {
    this.ticks++;
    if (this.lanes.length === 0) return;
    const allIdle = this.host.allIdle();
    for (const lane of this.lanes) {
      if (lane.following || !lane.ready) continue;
      if (lane.arrived === lane.arrivedAtLastTick) lane.quietTicks++;
      else lane.quietTicks = 0;
      lane.arrivedAtLastTick = lane.arrived;
      if (this.ticks - lane.behindAtTick >= this.options.graceTicks || (allIdle && lane.quietTicks >= 2)) {
        this.follow(lane);
      } else this.drain(lane, false);
    }
  }

  /** After a pipeline reset: every lane starts over with fresh steps (its keys stay in it). */
  rewireAll(): void {
    for (const lane of this.lanes) if (lane.pipeline !== undefined) this.rewire(lane);
  }

  /** Release the acks each lane's watermark allows. */
  advanceAcks(): void {
    for (const lane of this.lanes) this.host.ackTracker.advance(lane.watermark, lane.clock);
  }

  /** The lowest watermark: the main one, or a lane's behind it. */
  lowestWatermark(): number {
    let w = this.host.watermark();
    for (const lane of this.lanes) if (!lane.following && lane.watermark < w) w = lane.watermark;
    return w;
  }

  /** The watermark a key's records are at: its lane's, or the main one. */
  watermarkOf(key: string): number {
    const lane = this.laneOf.get(key);
    return lane !== undefined && !lane.following ? lane.watermark : this.host.watermark();
  }

  /** Unsubscribe every lane's steps (the run is over). */
  close(): void {
    for (const lane of this.lanes) for (const s of lane.pipeline?.subs ?? []) s.unsubscribe();
  }

  /**
   * A fresh instance of the steps for a lane (at its start, and after a pipeline reset), its side
   * inputs as of the lane's time: the tables read as of the latest update it was given.
   */
  private rewire(lane: Lane): void {
    const host = this.host;
    for (const s of lane.pipeline?.subs ?? []) s.unsubscribe();
    lane.sides = new Map(
      [...lane.tables].map(([name, t]) => [name, new BehaviorSubject<ReadonlyMap<string, unknown>>(t)]),
    );
    host.asOf(Math.max(lane.watermark, lane.sideApplied));
    lane.pipeline = host.wire(lane.sides);
    lane.lastRecordWm = Number.NEGATIVE_INFINITY;
    const wm: Item = { kind: "watermark", time: lane.watermark };
    if (lane.watermark > Number.NEGATIVE_INFINITY) host.pushWatermark(lane.pipeline.subjects, wm);
    host.asOf(Number.POSITIVE_INFINITY);
    host.afterPush();
  }

  /**
   * For a lane that starts further behind than the worker's tables keep history: read every
   * side-input topic from its start into the lane's own tables, then start the lane — its steps,
   * with side inputs as of its watermark, and its records waiting so far.
   */
  private async load(lane: Lane): Promise<void> {
    const host = this.host;
    this.loading++;
    try {
      const times: number[] = [];
      for (const [name, table] of lane.tables) {
        await host.readSideInput(name, (key, eventTime, value) => {
          table.apply(key, eventTime, value);
          times.push(eventTime);
        });
        if (host.stopping()) return;
      }
      // With the updates released here meanwhile (also applied to the lane's tables).
      for (const u of lane.sideTimes) times.push(u);
      lane.sideTimes = sortedUnique(times);
      lane.sideTimesHead = 0;
      lane.ready = true;
      this.rewire(lane);
      this.drain(lane, false);
      host.ackTracker.advance(lane.watermark, lane.clock);
      host.pump();
    } catch (e) {
      host.fail(e as Error);
    } finally {
      this.loading--;
    }
  }

  private follow(lane: Lane): void {
    if (!lane.ready) return; // (it follows once it has its side tables)
    this.drain(lane, true);
    lane.following = true;
    this.advance(lane, this.host.watermark(), this.host.lastSideTime());
  }

  /**
   * A lane's own merge: its records, buffered by source, are released in the total order, as the
   * main merge releases records — but the lane waits for a source with an empty buffer only while
   * the source is still delivering the lane's keys: up to `graceTicks` after its latest lane
   * record, or after the lane opened if the hand-over listed records of the keys open on it (their
   * redelivery is certain), and not once every source is idle. The main merge cannot order these
   * records for the lane: on a real broker a moved key's messages on one topic can trail the rest
   * of that topic by days of event time while its messages on another topic come on time (seen in
   * the real-broker suite), so the main feeds run ahead of the lane. `all`: release everything
   * (the lane takes the main watermark).
   */
  private drain(lane: Lane, all: boolean): void {
    if (!lane.ready) return;
    const host = this.host;
    const allIdle = !all && host.allIdle();
    for (;;) {
      let best: string | undefined;
      let bm: Inbound | undefined;
      for (const [name, q] of lane.bufs) {
        if (q.length === 0) continue;
        if (bm === undefined || host.before(q[0]!, name, bm, best!)) {
          best = name;
          bm = q[0]!;
        }
      }
      if (bm === undefined || best === undefined) return;
      if (!all && !allIdle) {
        for (const [name, until] of lane.lagging) {
          if (this.ticks < until && (lane.bufs.get(name)?.length ?? 0) === 0) return;
        }
      }
      lane.bufs.get(best)!.shift();
      this.buffered--;
      let t = lane.watermark;
      if (
        bm.eventTime - 1 > lane.watermark &&
        bm.eventTime - 1 - lane.lastRecordWm >= this.options.watermarkIntervalMs
      ) {
        lane.lastRecordWm = t = bm.eventTime - 1;
      }
      this.advance(lane, t, bm.eventTime);
      bm.clock = lane.clock;
      host.push(lane.pipeline!.bySource.get(best)!, bm);
      if (host.failed()) return;
    }
  }

  /**
   * Move a lane the way the main pipeline moved: every side-input update at `u ≤ upTo` the lane
   * has not been given yet is given to it (its side inputs read as of `u`) right after its
   * watermark moved to `u − 1` — as the main watermark moves to `u − 1` before an update at `u` is
   * applied, so a window fires seeing the side tables as of its own end, and a record sees every
   * update up to its own time — then the watermark moves to `t`.
   */
  private advance(lane: Lane, t: number, upTo: number): void {
    const times = lane.sideTimes;
    while (lane.sideTimesHead < times.length && times[lane.sideTimesHead]! <= lane.sideApplied) lane.sideTimesHead++;
    while (lane.sideTimesHead < times.length && times[lane.sideTimesHead]! <= upTo) {
      const u = times[lane.sideTimesHead++]!;
      this.moveWatermark(lane, u - 1);
      this.giveSides(lane, u);
    }
    if (lane.sideTimesHead > 1024 && lane.sideTimesHead * 2 > times.length) {
      times.copyWithin(0, lane.sideTimesHead);
      times.length -= lane.sideTimesHead;
      lane.sideTimesHead = 0;
    }
    this.moveWatermark(lane, t);
  }

  private moveWatermark(lane: Lane, t: number): void {
    if (t <= lane.watermark) return;
    const host = this.host;
    lane.watermark = t;
    for (const table of lane.tables.values()) table.advance(t);
    const wm: Item = { kind: "watermark", time: t };
    host.asOf(t);
    if (lane.pipeline !== undefined) host.pushWatermark(lane.pipeline.subjects, wm);
    host.asOf(Number.POSITIVE_INFINITY);
    host.afterPush();
    host.advanceAcks();
  }

  /** Give a lane's side inputs the tables as of `u` (an update at `u` was applied to them). */
  private giveSides(lane: Lane, u: number): void {
    const host = this.host;
    lane.sideApplied = u;
    host.asOf(u);
    for (const [name, s] of lane.sides) s.next(lane.tables.get(name)!);
    host.asOf(Number.POSITIVE_INFINITY);
    host.afterPush();
  }
}

function sortedUnique(times: number[]): number[] {
  times.sort((a, b) => a - b);
  return times.filter((u, i) => i === 0 || u !== times[i - 1]);
}
