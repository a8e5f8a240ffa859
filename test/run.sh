#!/usr/bin/env bash
# What `npm test` runs: every suite, with the typecheck beside them (it needs no browser and
# would otherwise add its half minute in front); both must pass. Its output comes at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
npx tsc --noEmit >"$log" 2>&1 &
typecheck=$!
npx vitest run --project unit --project langgraph --project browser --project e2e
suites=$?
wait "$typecheck"
types=$?
if [ "$types" -eq 0 ]; then echo "typecheck (tsc --noEmit): no errors"; else cat "$log"; echo "typecheck (tsc --noEmit): failed" >&2; fi
rm -f "$log"
[ "$suites" -eq 0 ] && [ "$types" -eq 0 ]
