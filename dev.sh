#!/usr/bin/env bash
# One entry point for a fresh machine with Python 3.11:
#   ./dev.sh pipeline   set up .venv from requirements.lock, then `dvc repro` on the bundled sample data
#   ./dev.sh test       set up .venv, then run the test suite (what CI runs)
#   ./dev.sh plots [REV ...]  `dvc plots show` (or `dvc plots diff REV ...`): the plots page, drawn offline
#   ./dev.sh setup      only set up .venv
#   ./dev.sh restore    after a failed or killed run: put the last committed results back
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
  export PATH="$PWD/$VENV/bin:$PATH"
  export VIRTUAL_ENV="$PWD/$VENV"
}

case "${1:-}" in
  setup)
    setup ;;
  restore)
    setup; activate
    python -m plancast.recovery ;;
  pipeline)
    setup; activate
    dvc repro
    echo "done. Next: source .venv/bin/activate, then dvc metrics show, dvc plots show (see README, Results)" ;;
  plots)
    setup; activate
    shift
    if [ $# -eq 0 ]; then dvc plots show; else dvc plots diff "$@"; fi ;;
  test)
    setup; activate
    shift
    python -m pytest "$@" ;;
  *)
    sed -n '2,7p' "$0"; exit 2 ;;
esac
