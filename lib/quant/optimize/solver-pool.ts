/**
 * HiGHS solves off the main thread: a small pool of worker threads, each with its own HiGHS
 * instance, for callers that cannot block the event loop for a solve (a 500-asset QP takes tens of
 * milliseconds, and HiGHS's QP solver is known to run away on badly scaled Hessians).
 *
 * ```ts
 * const pool = new SolverPool({ size: 2 });
 * const res = await pool.solve({ P, q, lower: 0, upper: 1, constraints, iterationLimit: 20_000 });
 * const mv = await pool.optimize("minVariance", cov, { upper: 0.1 });
 * await pool.close();
 * // or the shared default pool: await solveQPAsync(problem)
 * ```
 *
 * - Same answer as the in-thread call: the worker runs the very same {@link solveQP} (or optimizer)
 *   on a structured-clone copy of the input, so results are identical.
 * - Bounded: every QP carries HiGHS's own time and iteration limits (see {@link QPProblem}); on
 *   top of that a watchdog (default: the problem's time limit + 1 s) terminates a worker whose
 *   solve has not returned — possible only off the main thread — and the call resolves with status
 *   `"time-limit"` (never a rejection for solver trouble; a replacement worker starts on demand).
 * - Never blocks the event loop: the main thread only posts the problem and awaits the answer.
 *
 * Not for the RxJS operators: they must emit synchronously and deterministically (a replay on
 * virtual time is byte-identical), so they keep the bounded in-thread path (the active-set box
 * QP, with an iteration-limited HiGHS fallback). The watchdog is wall-clock by nature; it only
 * decides when to give up on a runaway solve, never what a successful solve returns.
 */
import { Worker } from "node:worker_threads";
import type { PortfolioResult } from "./types.js";
import type { QPProblem, QPResult } from "./qp-solver.js";
import type { JobRequest, WorkerResponse } from "./solver-worker.js";

/** Optimizers the pool can run by name (their arguments must be structured-cloneable). */
export type PoolOptimizer =
  | "minVariance"
  | "maxSharpe"
  | "efficientRisk"
  | "efficientReturn"
  | "maxQuadraticUtility"
  | "riskParity"
  | "kelly";

export interface SolverPoolOptions {
  /** Worker threads (default 1). */
  readonly size?: number;
  /**
   * Milliseconds after which a job's worker is terminated and the job resolves as `"time-limit"`.
   * Default: (the QP's `timeLimit`, else 10 s) + 1 s.
   */
  readonly watchdogMs?: number;
}

interface Job {
  readonly req: JobRequest;
  readonly watchdogMs: number;
  readonly resolve: (value: unknown) => void;
  readonly onFailure: (status: "time-limit" | "error", message: string) => unknown;
}

interface Slot {
  worker: Worker | undefined;
  job: { readonly id: number; readonly job: Job; readonly timer: ReturnType<typeof setTimeout> } | undefined;
}

function newWorker(): Worker {
  // Compiled (dist/): the .js worker next to this file. From the sources (tsx, vitest) the worker
  // is a .ts file: a tiny bootstrap registers tsx's loader in the new thread, then imports it.
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./solver-worker.js", import.meta.url));
  const url = new URL("./solver-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api"); // resolved from here, whatever the working directory
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`,
    { eval: true },
  );
}

const qpFailure = (status: "time-limit" | "error", message: string): QPResult => ({
  status,
  x: [],
  objective: Number.POSITIVE_INFINITY,
  rowDuals: [],
  colDuals: [],
  iterations: 0,
  message,
});

const portfolioFailure = (status: "time-limit" | "error", message: string): PortfolioResult => ({
  status,
  weights: [],
  message,
  iterations: 0,
});

export class SolverPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly watchdogMs: number | undefined;
  private nextId = 1;
  private closed = false;

  constructor(options: SolverPoolOptions = {}) {
    const size = Math.max(1, Math.floor(options.size ?? 1));
    this.slots = Array.from({ length: size }, () => ({ worker: undefined, job: undefined }));
    this.watchdogMs = options.watchdogMs;
  }

  /** {@link solveQP} on a worker thread. */
  solve(problem: QPProblem, options: { readonly watchdogMs?: number } = {}): Promise<QPResult> {
    const watchdogMs = options.watchdogMs ?? this.watchdogMs ?? ((problem.timeLimit ?? 10) + 1) * 1000;
    return this.submit({ kind: "qp", problem }, watchdogMs, qpFailure) as Promise<QPResult>;
  }

  /** One of lib/quant's optimizers (e.g. `"minVariance"`) on a worker thread. */
  optimize(name: PoolOptimizer, ...args: readonly unknown[]): Promise<PortfolioResult> {
    const opts = args[args.length - 1] as { timeLimit?: number } | undefined;
    const t = typeof opts === "object" && opts !== null && typeof opts.timeLimit === "number" ? opts.timeLimit : 10;
    const watchdogMs = this.watchdogMs ?? (t + 1) * 1000;
    return this.submit({ kind: "optimize", name, args }, watchdogMs, portfolioFailure) as Promise<PortfolioResult>;
  }

  /** Terminates the workers; pending and queued jobs resolve with status `"error"`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(job.onFailure("error", "solver pool closed"));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.job) {
          clearTimeout(slot.job.timer);
          slot.job.job.resolve(slot.job.job.onFailure("error", "solver pool closed"));
          slot.job = undefined;
        }
        const w = slot.worker;
        slot.worker = undefined;
        if (w) await w.terminate();
      }),
    );
  }

  private submit(req: JobRequest, watchdogMs: number, onFailure: Job["onFailure"]): Promise<unknown> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve(onFailure("error", "solver pool closed"));
        return;
      }
      this.queue.push({ req, watchdogMs, resolve, onFailure });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue;
      const job = this.queue.shift();
      if (job === undefined) break;
      this.start(slot, job);
    }
    for (const slot of this.slots) {
      // Idle workers do not keep the process alive; busy ones do.
      if (slot.worker) slot.job ? slot.worker.ref() : slot.worker.unref();
    }
  }

  private spawn(slot: Slot): Worker {
    const w = newWorker();
    w.on("message", (res: WorkerResponse) => {
      const cur = slot.job;
      if (slot.worker !== w || cur === undefined || cur.id !== res.id) return;
      clearTimeout(cur.timer);
      slot.job = undefined;
      cur.job.resolve("error" in res ? cur.job.onFailure("error", res.error) : res.result);
      this.pump();
    });
    const lost = (why: string) => {
      if (slot.worker !== w) return;
      slot.worker = undefined;
      const cur = slot.job;
      if (cur) {
        clearTimeout(cur.timer);
        slot.job = undefined;
        cur.job.resolve(cur.job.onFailure("error", why));
      }
      this.pump();
    };
    w.on("error", (err) => lost(`solver worker failed: ${err.message}`));
    w.on("exit", (code) => lost(`solver worker exited with code ${code}`));
    slot.worker = w;
    return w;
  }

  private start(slot: Slot, job: Job): void {
    const w = slot.worker ?? this.spawn(slot);
    const id = this.nextId++;
    const timer = setTimeout(() => {
      if (slot.job?.id !== id) return;
      // A solve that has not returned: only a thread can be stopped mid-solve.
      slot.job = undefined;
      slot.worker = undefined;
      void w.terminate();
      job.resolve(
        job.onFailure("time-limit", `no answer from the solver within ${job.watchdogMs} ms (worker terminated)`),
      );
      this.pump();
    }, job.watchdogMs);
    slot.job = { id, job, timer };
    w.postMessage({ ...job.req, id });
  }
}

let shared: SolverPool | undefined;

/**
 * {@link solveQP} on the shared default {@link SolverPool} (one worker, started on first use; idle
 * workers do not keep the process alive). Resolves with the in-thread result; `"time-limit"` when
 * the watchdog had to stop a runaway solve.
 */
export function solveQPAsync(problem: QPProblem, options: { readonly watchdogMs?: number } = {}): Promise<QPResult> {
  shared ??= new SolverPool();
  return shared.solve(problem, options);
}

/** Closes the shared pool of {@link solveQPAsync} (a later call starts a new one). */
export async function closeSharedSolverPool(): Promise<void> {
  const p = shared;
  shared = undefined;
  await p?.close();
}
