import { z } from "zod";

/** Current schema version of every consilium event. */
export const SCHEMA_VERSION = 1;

export const EventId = z.string().min(1).max(256);
/** Epoch milliseconds, a safe non-negative integer. */
export const EpochMs = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const PortfolioId = z.string().min(1).max(128);
export const InstrumentId = z.string().min(1).max(64);
export const Probability = z.number().min(0).max(1);
export const FiniteNumber = z.number();

/** Fields every consilium event carries. */
export const eventBase = {
  eventId: EventId,
  eventTime: EpochMs,
  schemaVersion: z.literal(SCHEMA_VERSION),
};

export const Direction = z.enum(["long", "short", "flat"]);
export type Direction = z.infer<typeof Direction>;

export const Urgency = z.enum(["low", "normal", "high", "critical"]);
export type Urgency = z.infer<typeof Urgency>;

/** Ordinal of an urgency, for priority comparisons (critical highest). */
export const URGENCY_RANK: Readonly<Record<Urgency, number>> = { low: 0, normal: 1, high: 2, critical: 3 };

export const Side = z.enum(["buy", "sell", "hold"]);
export type Side = z.infer<typeof Side>;

export const StringMap = z.record(z.string(), z.string());
