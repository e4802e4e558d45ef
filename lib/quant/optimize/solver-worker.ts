/**
 * Worker-thread side of {@link SolverPool}: loads HiGHS once, then answers one request at a time
 * with the same synchronous functions the main thread would call (so a result is the in-thread
 * result, bit for bit). Not imported by anything on the main thread.
 */
import { parentPort } from "node:worker_threads";
import { efficientReturn } from "./efficient-return.js";
import { efficientRisk } from "./efficient-risk.js";
import { kelly } from "./kelly.js";
import { maxQuadraticUtility } from "./max-quadratic-utility.js";
import { maxSharpe } from "./max-sharpe.js";
import { minVariance } from "./min-variance.js";
import { initSolver, type QPProblem, solveQP } from "./qp-solver.js";
import { riskParity } from "./risk-parity.js";

const optimizers: Record<string, (...args: never[]) => unknown> = {
  minVariance,
  maxSharpe,
  efficientRisk,
  efficientReturn,
  maxQuadraticUtility,
  riskParity,
  kelly,
};

export type JobRequest =
  | { readonly kind: "qp"; readonly problem: QPProblem }
  | { readonly kind: "optimize"; readonly name: string; readonly args: readonly unknown[] };

export type WorkerRequest = JobRequest & { readonly id: number };

export type WorkerResponse =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };

const port = parentPort;
if (port !== null) {
  const ready = initSolver();
  port.on("message", (req: WorkerRequest) => {
    ready.then(
      () => {
        let res: WorkerResponse;
        try {
          if (req.kind === "qp") res = { id: req.id, result: solveQP(req.problem) };
          else {
            const f = optimizers[req.name];
            res =
              f === undefined
                ? { id: req.id, error: `unknown optimizer ${req.name}` }
                : { id: req.id, result: f(...(req.args as never[])) };
          }
        } catch (err) {
          res = { id: req.id, error: err instanceof Error ? err.message : String(err) };
        }
        port.postMessage(res);
      },
      (err: unknown) => port.postMessage({ id: req.id, error: `HiGHS failed to load: ${String(err)}` }),
    );
  });
}
