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
    ledger.check({ ...nothing, dataLoss: { kind: "total", message: "IndexedDB (database was corrupt): checksum mismatch", reportedNow: true } }, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/^launch 1: lost 4 .*, whole database empty; store.dataLoss total: "IndexedDB \(database was corrupt\): checksum mismatch"$/)]);
    expect(ledger.figures(2).dataLossReported).toBe('launch1:total:"IndexedDB (database was corrupt): checksum mismatch"');
  });

  it("says so when a database came back empty and the browser reported no data loss", () => {
    const ledger = ledgerWithAcks();
    ledger.check(nothing, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/, whole database empty; no data loss reported$/)]);
    expect(ledger.figures(2).dataLossReported).toBe("none");
  });

  it("tells a loss kept from an earlier open from one reported now, and prints only the reported ones", () => {
    const ledger = ledgerWithAcks();
    ledger.check({ ...nothing, dataLoss: { kind: "total", message: "m", reportedNow: false } }, 1);
    expect(ledger.problems).toEqual([expect.stringMatching(/store.dataLoss total \(from an earlier open\): "m"$/)]);
    expect(ledger.figures(2).dataLossReported).toBe("none");
  });

  it("does not call a tail lost to a crash a wipe, and names a partial loss the store found", () => {
    const ledger = ledgerWithAcks();
    ledger.ack("cp", "c2");
    ledger.check({ ...nothing, checkpoints: ["c1"], eventSeqs: [1], saverComplete: ["s1"], turnsComplete: [7] }, 1);
    ledger.check({ ...nothing, checkpoints: ["c1"], eventSeqs: [1], saverComplete: ["s1"], turnsComplete: [7], dataLoss: { kind: "partial", message: "p", reportedNow: true } }, 2);
    expect(ledger.problems).toHaveLength(2);
    expect(ledger.problems[0]).toMatch(/gaps 0.*damaged checkpoints 0; no data loss reported$/);
    expect(ledger.problems[1]).toMatch(/damaged checkpoints 0; store.dataLoss partial: "p"$/);
    expect(ledger.problems.join()).not.toMatch(/whole database/);
    expect(ledger.figures(3).dataLossReported).toBe('launch2:partial:"p"');
  });
});
