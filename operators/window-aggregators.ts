/**
 * Window types and ready-made aggregators shared by the window operators: pass one as `aggregate`
 * (default {@link collectValues}).
 */
export {
  type Accumulation,
  collectValues,
  countRecords,
  type EmitMode,
  type Firing,
  GLOBAL_KEY,
  type KeySelector,
  type MergingWindowAggregator,
  sumBy,
  type WindowAggregator,
  type WindowBounds,
  type WindowOptions,
  type WindowResult,
} from "./internal/window-types.js";
