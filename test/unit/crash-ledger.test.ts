import { describe, expect, it } from "vitest";
import { crashLedger } from "../reliability/crash-ledger";
import type { Found } from "../reliability/crash-writer";

/** The crash sweep's record (test/reliability/crash-ledger.ts): what it says when a database comes back wiped. */

const nothing: Found = { opened: true, checkpoints: [], checkpointsDamaged: 0, eventSeqs: [], saverComplete: [], saverPartial: 0, turnsComplete: [], turnsBroken: 0 };

function ledgerWithAcks() {
  const ledger = crashLedger();
  ledger.ack("cp", "c1");
  ledger.ack("ev", 1);
  ledger.ack("sv", "s1");
  ledger.ack("turn", 7);
  ledger.check({ ...nothing, checkpoints: ["c1"], eventSeqs: [1], saverComplete: ["s1"], turnsComplete: [7] }, 0);
  return ledger;
}

describe("crash ledger", () => {
  it("says a database that came back empty was wiped, with the data loss the browser reported and its message", () => {
    const ledger = ledgerWithAcks();
    ledger.check({ ...nothing, dataLoss: { message: "IndexedDB (database was corrupt): checksum mismatch", reportedNow: true } }, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/^launch 1: lost 4 .*whole database empty; the browser reported data loss: "IndexedDB \(database was corrupt\): checksum mismatch"$/)]);
    expect(ledger.figures(2).dataLossReported).toBe('launch1:"IndexedDB (database was corrupt): checksum mismatch"');
  });

  it("says so when a database came back empty and the browser reported no data loss", () => {
    const ledger = ledgerWithAcks();
    ledger.check(nothing, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/whole database empty; the browser reported no data loss$/)]);
    expect(ledger.figures(2).dataLossReported).toBe("none");
  });

  it("tells a loss kept from an earlier open from one reported now, and prints only the reported ones", () => {
    const ledger = ledgerWithAcks();
    ledger.check({ ...nothing, dataLoss: { message: "m", reportedNow: false } }, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/the browser reported data loss at an earlier open: "m"$/)]);
    expect(ledger.figures(2).dataLossReported).toBe("none");
  });

  it("does not call a tail lost to a crash a wipe", () => {
    const ledger = ledgerWithAcks();
    ledger.ack("cp", "c2");
    ledger.check({ ...nothing, checkpoints: ["c1"], eventSeqs: [1], saverComplete: ["s1"], turnsComplete: [7] }, 1);
    expect(ledger.problems).toHaveLength(1);
    expect(ledger.problems[0]).not.toMatch(/whole database/);
  });
});
