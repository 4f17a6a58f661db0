#!/usr/bin/env bash
# The govgate GitHub Action's work, as a plain script (action.yml passes inputs as INPUT_*
# environment variables, never by expanding them into shell source). It runs `govgate check`,
# writes the markdown report to the step summary, prints annotations for the worst findings,
# and records verdict, exit code, bundle and report paths in $GITHUB_OUTPUT. It always exits 0
# once the gate has decided (or failed to): action.yml uploads the bundle, then exits with the
# gate's code in its last step, so a blocked release still leaves its evidence behind.
set -uo pipefail

govgate="${GOVGATE:-govgate}"
bundle="${INPUT_BUNDLE:-}"
# every step starts from nothing: its own folder (a second gate step in the same job must never
# find, and re-post, the first step's decision), and no report left by an earlier run in it
if [ -n "${GOVGATE_OUT:-}" ]; then
  out="$GOVGATE_OUT"
  mkdir -p "$out"
else
  out="$(mktemp -d "${RUNNER_TEMP:-/tmp}/govgate.XXXXXXXX")"
fi
rm -f -- "$out/report.md" "$out/annotations.txt" "$out/decision.json" "$out/junit.xml"
# a bundle directory must be new: a re-run of the job in the same workspace starts afresh
if [ -n "$bundle" ] && [ -e "$bundle" ]; then
  rm -rf -- "$bundle"
fi

read -r -a policies <<< "${INPUT_POLICIES:-policies}"
args=(check --candidate "${INPUT_CANDIDATE:?the candidate input is required}"
      --stage "${INPUT_STAGE:?the stage input is required}" --policies "${policies[@]}")
if [ -n "${INPUT_WAIVERS:-}" ]; then
  read -r -a waivers <<< "$INPUT_WAIVERS"
  args+=(--waivers "${waivers[@]}")
fi
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_TRACKING_URI:-}" ] && args+=(--tracking-uri "$INPUT_TRACKING_URI")
[ -n "$bundle" ] && args+=(--bundle "$bundle")
[ -n "${INPUT_SIGN_KEY:-}" ] && args+=(--sign-key "$INPUT_SIGN_KEY")
[ "${INPUT_FAIL_ON_WARN:-false}" = "true" ] && args+=(--fail-on-warn)
[ "${INPUT_LOG_TO_MLFLOW:-true}" = "true" ] || args+=(--no-mlflow-log)
args+=(--format text
       --format "markdown=$out/report.md"
       --format "github=$out/annotations.txt"
       --format "json=$out/decision.json"
       --format "junit=$out/junit.xml")

# The text report goes to the job log, and it quotes strings from the evidence. govgate writes
# them visibly escaped; as a second wall, the runner obeys no workflow command while the report
# prints (a token nobody can guess ends the pause).
token="govgate-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
echo "::stop-commands::$token"
"$govgate" "${args[@]}"
code=$?
echo "::$token::"

verdict=""
if [ -f "$out/decision.json" ]; then
  verdict="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["decision"]["verdict"])' \
    "$out/decision.json")"
  cat "$out/annotations.txt"  # workflow commands: GitHub turns them into annotations
  [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$out/report.md" >> "$GITHUB_STEP_SUMMARY"
else
  # no decision: invalid policy (3), evidence unavailable (7), usage (2) or a crash (1)
  echo "::error title=govgate::govgate check exited $code without a decision (see the log)"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '## govgate: no decision\n\n`govgate check` exited %s before deciding; the job log says why. This is never a pass.\n' \
      "$code" >> "$GITHUB_STEP_SUMMARY"
  fi
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "verdict=$verdict"
    echo "exit-code=$code"
    echo "report=$out/report.md"
    if [ -n "$bundle" ] && [ -d "$bundle" ]; then echo "bundle=$bundle"; else echo "bundle="; fi
  } >> "$GITHUB_OUTPUT"
fi
exit 0
