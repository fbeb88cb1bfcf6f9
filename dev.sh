#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11:
#   ./dev.sh pipeline   set up .venv, pull what the DVC remote has, `dvc repro` the rest, push the results
#   ./dev.sh test       set up .venv, then run the test suite (what CI runs)
#   ./dev.sh forecast   the morning run, `dvc repro monitor`: a new export reruns ingest, daily_last, forecast
#                       and monitor only (the models of train.until; live skill, retrain flag: docs/monitoring.md)
#   ./dev.sh plots [REV ...]  `dvc plots show` (or `dvc plots diff REV ...`): the plots page, drawn offline
#   ./dev.sh setup      only set up .venv
#   ./dev.sh restore    after a failed or killed run: put the last committed results back
#   ./dev.sh pull       restore outputs and the run-cache from the default DVC remote, if it can be reached
#   ./dev.sh push       send outputs and the run-cache to the default DVC remote (docs/sharing.md)
# Afterwards `source .venv/bin/activate` gives you dvc, python and pytest from the same environment.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3.11}
VENV=.venv

setup() {
  local stamp="$VENV/.installed-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ]; then return; fi
  if [ ! -x "$VENV/bin/python" ]; then
    command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found; set PYTHON=/path/to/python3.11" >&2; exit 2; }
    "$PYTHON" -m venv "$VENV"
  fi
  echo "setup: installing the pinned environment into $VENV (about 1-2 minutes the first time)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f "$VENV"/.installed-* && touch "$stamp"
}

activate() {
  # pull and push also run where the environment is already on PATH (CI, a clone in a test)
  if [ -x "$VENV/bin/dvc" ]; then
    export PATH="$PWD/$VENV/bin:$PATH"
    export VIRTUAL_ENV="$PWD/$VENV"
  fi
}

# Prints why the default remote cannot be used here, or nothing. A folder remote that does not exist
# (the default `machine` remote before this machine's first push, or on a CI runner) is skipped rather
# than pulled from: `dvc pull` would list every missing file as a warning.
remote_unusable() {
  local name url
  name=$(dvc remote default 2>/dev/null || true)
  if [ -z "$name" ]; then echo "no default DVC remote"; return; fi
  url=$(dvc config "remote.$name.url")
  case "$url" in
    *://*) ;;
    *) [ -d "$url" ] || echo "remote '$name' ($url) does not exist yet: \`./dev.sh push\` on this machine creates it" ;;
  esac
}

pull() {
  local why
  why=$(remote_unusable)
  if [ -n "$why" ]; then echo "pull: skipped: $why"; return; fi
  # --allow-missing: what the remote lacks is recomputed by `dvc repro` instead of failing the pull
  dvc pull --run-cache --allow-missing
}

push() {
  [ -n "$(dvc remote default 2>/dev/null || true)" ] || { echo "push: skipped: no default DVC remote"; return; }
  dvc push --run-cache
}

case "${1:-}" in
  setup)
    setup ;;
  restore)
    setup; activate
    python -m plancast.recovery ;;
  pipeline)
    setup; activate
    pull
    dvc repro
    # sharing is a bonus: results computed here stand even when the remote refuses them
    push || echo "warning: results not pushed to the DVC remote (see the error above); \`./dev.sh push\` retries"
    echo "done. Next: source .venv/bin/activate, then dvc metrics show, dvc plots show (see docs/results.md)" ;;
  plots)
    setup; activate
    shift
    if [ $# -eq 0 ]; then dvc plots show; else dvc plots diff "$@"; fi ;;
  forecast)
    setup; activate
    dvc repro monitor ;;
  test)
    setup; activate
    shift
    python -m pytest "$@" ;;
  pull)
    activate; pull ;;
  push)
    activate; push ;;
  *)
    sed -n '2,12p' "$0"; exit 2 ;;
esac
