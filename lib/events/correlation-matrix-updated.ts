import { z } from "zod";
import { EpochMs, eventBase, InstrumentId } from "./common.js";

/**
 * A new correlation matrix (and annualized volatilities) for a universe of instruments. The matrix
 * must be square, symmetric, with a unit diagonal and entries in [-1, 1].
 */
export const CorrelationMatrixUpdatedEvent = z
  .object({
    eventType: z.literal("CorrelationMatrixUpdated"),
    ...eventBase,
    universeId: z.string().min(1).max(128),
    instrumentIds: z.array(InstrumentId).min(1).max(2000),
    correlations: z.array(z.array(z.number().min(-1).max(1))),
    /** Annualized volatilities, one per instrument. */
    volatilities: z.array(z.number().nonnegative().max(10)),
    asOf: EpochMs,
    lookbackDays: z.number().int().positive(),
    method: z.enum(["sample", "ewma", "ledoit-wolf"]),
  })
  .superRefine((m, ctx) => {
    const n = m.instrumentIds.length;
    if (new Set(m.instrumentIds).size !== n) {
      ctx.addIssue({ code: "custom", path: ["instrumentIds"], message: "instrument ids must be unique" });
    }
    if (m.volatilities.length !== n) {
      ctx.addIssue({ code: "custom", path: ["volatilities"], message: `expected ${n} volatilities` });
    }
    if (m.correlations.length !== n) {
      ctx.addIssue({ code: "custom", path: ["correlations"], message: `expected ${n} rows` });
      return;
    }
    for (let i = 0; i < n; i++) {
      const row = m.correlations[i]!;
      if (row.length !== n) {
        ctx.addIssue({ code: "custom", path: ["correlations", i], message: `expected ${n} columns` });
        return;
      }
      if (Math.abs(row[i]! - 1) > 1e-9) {
        ctx.addIssue({ code: "custom", path: ["correlations", i, i], message: "diagonal must be 1" });
      }
      for (let j = 0; j < i; j++) {
        if (Math.abs(row[j]! - m.correlations[j]![i]!) > 1e-9) {
          ctx.addIssue({ code: "custom", path: ["correlations", i, j], message: "matrix must be symmetric" });
          return;
        }
      }
    }
  });
export type CorrelationMatrixUpdatedEvent = z.infer<typeof CorrelationMatrixUpdatedEvent>;
