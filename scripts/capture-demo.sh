#!/usr/bin/env bash
# Records the demo (demo/): a real Nix 2.8 build of tests/fixtures/nix-2.8/dag.nix through the nix-daemon, with
#   log-daemon-root-dag-success.jsonl  the client's unmodified stderr (--log-format internal-json -vvv)
#   ps-daemon-root-dag-success.txt     `ps -eo pid,ppid,user,stat,pcpu,rss,time,etime,args --forest` every 0.5 s
#                                      (process state and CPU time included, so the demo shows them as a live run)
#   drv-daemon-root-dag-success.json   `nix show-derivation -r` of the target before the build: the .drv graph the
#                                      daemon reads from the store live (Eagle Eye's dependency tree)
# Nothing is typed by hand; ps rows of processes outside this build (other users' builds on the same daemon) are
# left out: only the daemon, the worker serving this client (and its builders) and the client's own chain are kept.
#   sudo bash scripts/capture-demo.sh [OUT_DIR]    (default demo/; needs scripts/nix-setup.sh; ~25 s)
set -euo pipefail
readonly ROOT=$(cd "$(dirname "$0")/.." && pwd)
readonly OUT=${1:-$ROOT/demo}
readonly NAME=daemon-root-dag-success
readonly EXPR=$ROOT/tests/fixtures/nix-2.8/dag.nix
readonly NONCE=demo-$(date +%s)
readonly TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[[ $(id -u) -eq 0 ]] || { echo "capture-demo: run as root" >&2; exit 1; }
export NIX_REMOTE=daemon
cd "$(dirname "$EXPR")"
drv=$(nix-instantiate dag.nix --argstr nonce "$NONCE" 2>/dev/null)
nix --extra-experimental-features nix-command show-derivation -r "$drv" > "$TMP/drv.json"
( while [[ ! -e $TMP/stop ]]; do
    printf '=== %s %s\n' "$(date +%s.%N | cut -c1-14)" "$(date +%T.%3N)"
    ps -eo pid,ppid,user,stat,pcpu,rss,time,etime,args --forest
    sleep 0.5
  done ) > "$TMP/ps.txt" &
watcher=$!
sleep 0.6
nix-build dag.nix --argstr nonce "$NONCE" --no-out-link --max-jobs 4 --log-format internal-json -vvv \
  2> "$TMP/log.jsonl" > /dev/null & client=$!
wait $client || { echo "capture-demo: the build failed" >&2; exit 1; }
sleep 1
touch "$TMP/stop"; wait $watcher
node "$ROOT/scripts/capture-demo-filter.mjs" "$TMP/ps.txt" "$client" > "$OUT/ps-$NAME.txt"
cp "$TMP/log.jsonl" "$OUT/log-$NAME.jsonl"
cp "$TMP/drv.json" "$OUT/drv-$NAME.json"
echo "capture-demo: $(wc -l < "$OUT/log-$NAME.jsonl") log lines, $(grep -c '^===' "$OUT/ps-$NAME.txt") ps samples, $(grep -o '"/nix/store/[^"]*\.drv": {' "$OUT/drv-$NAME.json" | wc -l) derivations in $OUT"
