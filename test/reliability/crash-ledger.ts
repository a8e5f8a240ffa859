import type { Found } from "./crash-writer";

export type AckKind = "cp" | "ev" | "sv" | "turn";

/**
 * Node's record of a crash sweep, whatever drives the browser: every acknowledgement that reached
 * Node, and after each relaunch a check of what the page found against it. The checks: the
 * database opens, no acknowledged write is missing, run event seqs are dense 1..N, every saver
 * checkpoint present is whole, every finished turn holds exactly its events.
 */
export function crashLedger() {
  const acked = { cp: new Set<string>(), ev: new Set<number>(), sv: new Set<string>(), turn: new Set<number>() };
  const ackedCount = () => acked.cp.size + acked.ev.size + acked.sv.size + acked.turn.size;
  const totals = { kills: 0, renderCrashes: 0, opens: 0, openFailures: 0, lost: 0, gaps: 0, partial: 0, damaged: 0, unackedPresent: 0 };
  const problems: string[] = [];
  /** Opens that saw a data loss happen (store.dataLoss with reportedNow), by launch. */
  const dataLoss: Array<{ launch: number; kind: string; message: string }> = [];

  return {
    acked,
    totals,
    problems,
    ackedCount,
    ack(kind: AckKind, id: string | number): void {
      if (kind === "ev" || kind === "turn") acked[kind].add(Number(id));
      else acked[kind].add(String(id));
    },
    check(found: Found, launch: number): void {
      if (!found.opened || found.openError) {
        totals.openFailures++;
        problems.push(`launch ${launch}: ${found.openError}`);
        return;
      }
      totals.opens++;
      if (found.dataLoss?.reportedNow) dataLoss.push({ launch, kind: found.dataLoss.kind, message: found.dataLoss.message });
      const cps = new Set(found.checkpoints);
      const svs = new Set(found.saverComplete);
      const seqs = new Set(found.eventSeqs);
      const turns = new Set(found.turnsComplete);
      const lostBy = {
        checkpoints: [...acked.cp].filter((id) => !cps.has(id)).length,
        events: [...acked.ev].filter((q) => !seqs.has(q)).length,
        saver: [...acked.sv].filter((id) => !svs.has(id)).length,
        turns: [...acked.turn].filter((t) => !turns.has(t)).length,
      };
      const lost = lostBy.checkpoints + lostBy.events + lostBy.saver + lostBy.turns;
      const gaps = found.eventSeqs.filter((q, i) => q !== i + 1).length;
      totals.lost = lost;
      totals.gaps = gaps;
      totals.partial = found.saverPartial + found.turnsBroken;
      totals.damaged = found.checkpointsDamaged;
      totals.unackedPresent = found.checkpoints.length + found.eventSeqs.length + found.saverComplete.length + found.turnsComplete.length - ackedCount();
      if (lost || gaps || found.saverPartial || found.turnsBroken || found.checkpointsDamaged) {
        // A database that came back empty was wiped, not cut short; either way, say whether the
        // store saw the browser lose data (store.dataLoss), so the cause is on record.
        const empty = cps.size + seqs.size + svs.size + turns.size === 0;
        const loss = found.dataLoss;
        const wiped =
          (empty ? ", whole database empty" : "") +
          (loss
            ? `; store.dataLoss ${loss.kind}${loss.reportedNow ? "" : " (from an earlier open)"}: ${JSON.stringify(loss.message)}`
            : "; no data loss reported");
        problems.push(
          `launch ${launch}: lost ${lost} ${JSON.stringify(lostBy)} (found ${cps.size} checkpoints, ${seqs.size} events, ${svs.size} saver, ${turns.size} turns), gaps ${gaps}, partial saver checkpoints ${found.saverPartial}, broken turns ${found.turnsBroken}, damaged checkpoints ${found.checkpointsDamaged}${wiped}`,
        );
      }
    },
    /** The figures every sweep prints, `launches` being kills + 1. */
    figures(launches: number): Record<string, number | string> {
      return {
        kills: totals.kills,
        rendererCrashesFirst: totals.renderCrashes,
        ackedCheckpoints: acked.cp.size,
        ackedEvents: acked.ev.size,
        ackedSaverCheckpoints: acked.sv.size,
        ackedFinishedTurns: acked.turn.size,
        lost: totals.lost,
        seqGaps: totals.gaps,
        partialCheckpointsOrTurns: totals.partial,
        damagedCheckpoints: totals.damaged,
        committedButUnacked: totals.unackedPresent,
        databaseOpened: `${totals.opens}/${launches}`,
        dataLossReported: dataLoss.length ? dataLoss.map((d) => `launch${d.launch}:${d.kind}:${JSON.stringify(d.message)}`).join(",") : "none",
      };
    },
  };
}

export type CrashLedger = ReturnType<typeof crashLedger>;
