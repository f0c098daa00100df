#!/usr/bin/env bash
# Create or reuse the project's virtualenv and point ./.venv at it.
#
# torch and its CUDA libraries make a ~6 GB environment, so it is built once per version of
# pyproject.toml and cached under $TRACKER_VENV_CACHE (default ~/.cache/tracker/venvs/<hash>).
# The project itself is installed editable with --no-deps on every call, which takes seconds
# and points the cached environment at this checkout.
#
# EXTRAS (default "dev") picks the optional dependency groups; each set gets its own cached
# venv, e.g. EXTRAS=dev,bench for `make bench` (the peer trackers), so the plain dev venv is
# never polluted by the peers' pins.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=${PYTHON:-python3}
cache=${TRACKER_VENV_CACHE:-$HOME/.cache/tracker/venvs}
extras=${EXTRAS:-dev}
if [[ ! "$extras" =~ ^[a-z0-9,-]+$ ]]; then
  echo "bootstrap: EXTRAS must be a comma-separated list of extras, got '$extras'" >&2
  exit 2
fi
key=$( (cat "$root/pyproject.toml"; "$python" -c 'import sys; print(sys.version)'; \
  [ "$extras" = dev ] || echo "extras=$extras") | sha256sum | cut -c1-16)
venv="$cache/$key"

if [ ! -f "$venv/.complete" ]; then
  echo "bootstrap: building virtualenv $venv [$extras] (first run for this pyproject.toml; several minutes)"
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -qq --upgrade pip "setuptools>=68" wheel
  "$venv/bin/python" -m pip install -qq -e "$root[$extras]"
  touch "$venv/.complete"
else
  echo "bootstrap: reusing cached virtualenv $venv"
fi
"$venv/bin/python" -m pip install -qq --no-deps --no-build-isolation -e "$root"
ln -sfn "$venv" "$root/.venv"
