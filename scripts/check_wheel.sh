#!/usr/bin/env bash
# How it is deployed, from a clean clone of the committed HEAD (no `make setup`, no
# node_modules, no static/vendor): `python -m build` makes the sdist and then the wheel
# from the sdist, whose build hook (hatch_build.py) fetches htmx and Pico with npm.
# Install that wheel in a fresh virtualenv outside the checkout, migrate, seed and serve
# it with gunicorn, then fetch pages and the vendor files. Then `pip install -e` another
# clean clone into the same virtualenv and check that it serves them too.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BUILD_PYTHON="${BUILD_PYTHON:-$ROOT/.venv/bin/python}"  # has `build` (the dev extra)
WORK="$(mktemp -d)"
GUNICORN_PID=""
VENV_PID=""
cleanup() {
  [ -z "$GUNICORN_PID" ] || kill "$GUNICORN_PID" 2>/dev/null || true
  # Killing `venv` would leave its ensurepip child writing into $WORK: let it finish.
  [ -z "$VENV_PID" ] || wait "$VENV_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "wheel check: $*" >&2; exit 1; }
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

clean_clone() {
  git clone --quiet "$ROOT" "$1"
  for ignored in node_modules trainerpath/static/vendor; do
    [ ! -e "$1/$ignored" ] || fail "the clone of $ROOT is not clean: it has $ignored"
  done
}

# Serve the installed package with gunicorn and fetch pages and the vendor files.
serve() {
  local what="$1" workers="$2" port
  port="$(free_port)"
  "$WORK/venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers "$workers" --log-level warning \
    'trainerpath:create_app()' &
  GUNICORN_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  for path in / /pathways/cst /static/vendor/htmx.min.js /static/vendor/pico.min.css; do
    curl -fsS -o "$WORK/body" "http://127.0.0.1:$port$path" || fail "$what: GET $path failed"
  done
  grep -q "Pico CSS" "$WORK/body" || fail "$what: /static/vendor/pico.min.css is not Pico"
  curl -fsS "http://127.0.0.1:$port/static/vendor/htmx.min.js" | grep -q "var htmx=" ||
    fail "$what: /static/vendor/htmx.min.js is not htmx"
  kill "$GUNICORN_PID"
  wait "$GUNICORN_PID" 2>/dev/null || true
  GUNICORN_PID=""
}

"$PYTHON" -m venv "$WORK/venv" &  # slow too: made while the wheel is built
VENV_PID=$!
clean_clone "$WORK/clean"
"$BUILD_PYTHON" -m build --outdir "$WORK/dist" "$WORK/clean" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "python -m build failed in a clean clone"; }
SDIST="$(ls "$WORK"/dist/trainerpath-*.tar.gz)"
WHEEL="$(ls "$WORK"/dist/trainerpath-*.whl)"
# List once: `zipfile -l | grep -q` would die of a broken pipe under pipefail.
tar tzf "$SDIST" | sed 's|^[^/]*/||' > "$WORK/sdist.txt"
for required in package.json package-lock.json hatch_build.py scripts/copy_static.py; do
  grep -qx "$required" "$WORK/sdist.txt" || fail "sdist lacks $required"
done
"$PYTHON" -m zipfile -l "$WHEEL" > "$WORK/contents.txt"
for required in trainerpath/templates/base.html trainerpath/static/vendor/htmx.min.js \
                trainerpath/static/vendor/pico.min.css trainerpath/migrations/env.py; do
  grep -q "^$required " "$WORK/contents.txt" || fail "wheel lacks $required"
done

wait "$VENV_PID" || fail "python -m venv failed"
VENV_PID=""
"$WORK/venv/bin/pip" install --quiet "$WHEEL"
cd "$WORK"  # nowhere near the checkout
export TRAINERPATH_SECRET_KEY="wheel-check-$RANDOM$RANDOM"
export TRAINERPATH_DATABASE_URL="sqlite:///$WORK/wheel.db"
"$WORK/venv/bin/trainerpath" init-db
"$WORK/venv/bin/trainerpath" seed-demo >/dev/null
serve "the wheel" 2
echo "wheel check: $(basename "$WHEEL"), built from a clean clone's sdist, installs, migrates, seeds and serves pages, htmx and Pico"

clean_clone "$WORK/editable"
"$WORK/venv/bin/pip" install --quiet -e "$WORK/editable"
[ "$("$WORK/venv/bin/python" -c 'import trainerpath; print(trainerpath.PACKAGE)')" = \
  "$WORK/editable/trainerpath" ] || fail "the editable install does not import the clone"
serve "the editable install" 1
echo "wheel check: pip install -e of a clean clone serves pages, htmx and Pico"
