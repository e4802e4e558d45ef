/**
 * Loads the slice of `../shared/data/sp500-2013-2018` the recording is built from: closes, volumes
 * and metadata (sector, country, market cap) of the chosen tickers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { splitCsvLine } from "../../lib/data/csv.js";

export interface TickerMeta {
  readonly ticker: string;
  readonly name: string;
  readonly sector: string;
  readonly country: string | undefined;
  readonly marketCap: number;
  readonly nObs: number;
}

export function readMetadata(dataDir: string): TickerMeta[] {
  const lines = readFileSync(join(dataDir, "sp500-2013-2018/metadata.csv"), "utf8").trim().split(/\r?\n/);
  const header = splitCsvLine(lines[0]!);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`metadata.csv has no column ${name}`);
    return i;
  };
  const [iSym, iName, iSector, iCountry, iCap, iObs] = [
    col("Symbol"),
    col("Name"),
    col("sector"),
    col("country"),
    col("market_cap_2018_02_08"),
    col("n_obs"),
  ];
  return lines.slice(1).map((line) => {
    const f = splitCsvLine(line);
    const country = f[iCountry]?.trim();
    return {
      ticker: f[iSym]!,
      name: f[iName]!,
      sector: f[iSector]!,
      country: country ? country : undefined,
      marketCap: Number(f[iCap]),
      nObs: Number(f[iObs]),
    };
  });
}

/** A wide table (dates x tickers) restricted to the requested tickers; throws on a missing cell. */
export interface PriceTable {
  readonly dates: readonly string[];
  /** values[t][i] for date t and ticker i. */
  readonly values: readonly (readonly number[])[];
}

export function readWide(dataDir: string, file: "close.csv" | "volume.csv", tickers: readonly string[]): PriceTable {
  const lines = readFileSync(join(dataDir, "sp500-2013-2018", file), "utf8").trim().split(/\r?\n/);
  const header = lines[0]!.split(",");
  const cols = tickers.map((t) => {
    const i = header.indexOf(t);
    if (i < 0) throw new Error(`${file} has no column ${t}`);
    return i;
  });
  const dates: string[] = [];
  const values: number[][] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    dates.push(f[0]!);
    values.push(
      cols.map((c, k) => {
        const v = Number(f[c]);
        if (f[c] === "" || !Number.isFinite(v)) throw new Error(`${file}: no value for ${tickers[k]} on ${f[0]}`);
        return v;
      }),
    );
  }
  return { dates, values };
}
