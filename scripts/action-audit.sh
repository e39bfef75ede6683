#!/usr/bin/env bash
# The Audit step of action.yml: builds the qaudit command from QAUDIT_* variables, runs it, then writes the step
# summary and the step outputs whatever the exit code, and exits with qaudit's code.
set -uo pipefail
out="${QAUDIT_OUT:-qaudit-report}"
mkdir -p "$out"
args=(--model "$QAUDIT_MODEL" --data "${QAUDIT_DATA:-mnist}" --limit "${QAUDIT_LIMIT:-100}"
  --out "$out/report.json" --html "$out/report.html" --junit "$out/report.xml" --sarif "$out/report.sarif"
  --markdown "$out/summary.md" --model-card "$out/model-card.md")
[ -n "${QAUDIT_ATTACKS:-}" ] && args+=(--attacks "$QAUDIT_ATTACKS")
[ -n "${QAUDIT_EPSILONS:-}" ] && args+=(--eps "$QAUDIT_EPSILONS")
[ -n "${QAUDIT_BITS:-}" ] && args+=(--bits "$QAUDIT_BITS")
[ -n "${QAUDIT_FAIL_UNDER:-}" ] && args+=(--fail-under "$QAUDIT_FAIL_UNDER")
[ -n "${QAUDIT_BASELINE:-}" ] && args+=(--baseline "$QAUDIT_BASELINE")
[ -n "${QAUDIT_MAX_DROP:-}" ] && args+=(--max-drop "$QAUDIT_MAX_DROP")
[ -n "${QAUDIT_KEYS:-}" ] && args+=(--keys "$QAUDIT_KEYS")
# shellcheck disable=SC2206 # split on purpose: extra options as typed
[ -n "${QAUDIT_ARGS:-}" ] && args+=($QAUDIT_ARGS)
if [ -n "${QAUDIT_SERVER:-}" ]; then
  # The API key stays in the environment (QAUDIT_API_KEY), out of the process list and the log.
  cmd=(submit --server "$QAUDIT_SERVER" --wait --attestation "$out/attestation.intoto.json" --test-result "$out/test-result.intoto.json")
else
  unset QAUDIT_API_KEY
  cmd=(audit)
fi
node "$GITHUB_ACTION_PATH/bin/qaudit.mjs" "${cmd[@]}" "${args[@]}" --quiet
code=$?
if [ -f "$out/summary.md" ]; then
  cat "$out/summary.md" >> "$GITHUB_STEP_SUMMARY"
else
  printf '## qaudit robustness: not run\n\nqaudit exited with %s before writing a report; the step log says why.\n' "$code" >> "$GITHUB_STEP_SUMMARY"
fi
{
  echo "exit-code=$code"
  echo "passed=$([ "$code" = 0 ] && echo true || echo false)"
  echo "report=$out/report.json"
  echo "sarif=$out/report.sarif"
  echo "junit=$out/report.xml"
  echo "html=$out/report.html"
} >> "$GITHUB_OUTPUT"
exit "$code"
