#!/usr/bin/env bash
# Run by `npm test` first: the tests use real Nix, so set it up when we can (root), and say so when we cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -eq 0 ]]; then
  bash scripts/nix-setup.sh
elif ! command -v nix-build >/dev/null; then
  echo "pretest: Nix is not installed and this is not root: run 'sudo bash scripts/nix-setup.sh' first" >&2
  exit 1
fi
