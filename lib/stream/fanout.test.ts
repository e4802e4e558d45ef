import fc from "fast-check";
import { connect, filter, lastValueFrom, map, merge, type Observable, of, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { Fanout } from "./fanout.js";

describe("Fanout", () => {
  it("delivers each item to the subscribers it had when the item came, in subscription order", () => {
    const f = new Fanout<number>();
    const got: string[] = [];
    const a = f.subscribe((x) => {
      got.push(`a${x}`);
      if (x === 1) f.subscribe((y) => got.push(`late${y}`)); // joins from the next item on
    });
    f.subscribe((x) => got.push(`b${x}`));
    f.next(1);
    a.unsubscribe();
    f.next(2);
    expect(got).toEqual(["a1", "b1", "b2", "late2"]);
  });

  it("forwards error and complete to its subscribers", () => {
    const f = new Fanout<number>();
    const events: string[] = [];
    f.subscribe({ error: (e) => events.push(`error ${e}`) });
    f.subscribe({ error: (e) => events.push(`error2 ${e}`), complete: () => events.push("complete") });
    f.error("boom");
    const g = new Fanout<number>();
    g.subscribe({ complete: () => events.push("complete g") });
    g.complete();
    expect(events).toEqual(["error boom", "error2 boom", "complete g"]);
  });

  it("property: as connect's connector, the same output as connect's default Subject", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }), async (xs) => {
        const selector = (shared: Observable<number>) =>
          merge(
            shared.pipe(filter((x) => x % 2 === 0)),
            shared.pipe(
              filter((x) => x % 2 !== 0),
              map((x) => x * 10),
            ),
          );
        const viaSubject = await lastValueFrom(of(...xs).pipe(connect(selector), toArray()));
        const viaFanout = await lastValueFrom(
          of(...xs).pipe(connect(selector, { connector: () => new Fanout<number>() }), toArray()),
        );
        expect(viaFanout).toEqual(viaSubject);
      }),
    );
  });
});
