#!/usr/bin/env bash
# Regenerates the outcome captures of tests/fixtures/captures/truth/ (issue 9): the raw stderr of real Nix 2.8 runs
# with --log-format internal-json, one per scenario of nix/truth.nix, and a <name>.truth.json beside each computed by
# scripts/capture-truth-helper.mjs from the real store (valid before / after, the binary cache's contents) and from
# Nix's own error records and exit code. Nothing in the captures is typed or edited by hand.
#
#   sudo bash scripts/capture-truth.sh [NAME...]   (after scripts/nix-setup.sh; all of them take ~6 min; not run by CI)
set -euo pipefail

readonly ROOT=$(cd "$(dirname "$0")/.." && pwd)
readonly OUT="$ROOT/tests/fixtures/captures/truth"
readonly STAGE=/tmp/nix-btm-truth
readonly EXPR="$STAGE/truth.nix"
readonly CACHE="$STAGE/cache"
readonly HELPER="$ROOT/scripts/capture-truth-helper.mjs"
readonly BUILD_USERS=nixbld1,nixbld2,nixbld3,nixbld4,nixbld5,nixbld6,nixbld7,nixbld8
readonly RUN_ID=$(date +%Y%m%d%H%M%S)

say() { printf 'capture-truth: %s\n' "$*"; }
die() { printf 'capture-truth: ERROR: %s\n' "$*" >&2; exit 1; }

preflight() {
  [[ $(id -u) -eq 0 ]] || die "run as root"
  NIX_REMOTE=daemon nix --extra-experimental-features nix-command store ping >/dev/null 2>&1 \
    || die "no nix-daemon answers: run scripts/nix-setup.sh"
  mkdir -p "$STAGE" "$OUT"
  chmod 755 "$STAGE"
  install -m 644 "$ROOT/tests/fixtures/captures/nix/truth.nix" "$EXPR"
}

# nix_args SCENARIO NONCE [K=V...]: the expression and its arguments, one word per line.
nix_args() {
  local a
  printf '%s\n' "$EXPR" --argstr scenario "$1" --argstr nonce "$2"
  shift 2
  for a in "$@"; do
    if [[ ${a%%=*} == count ]]; then printf '%s\n' --arg count "${a#*=}"; else printf '%s\n' --argstr "${a%%=*}" "${a#*=}"; fi
  done
}

wait_builders_gone() {
  local i
  for i in $(seq 1 120); do
    pgrep -u "$BUILD_USERS" >/dev/null || return 0
    sleep 0.5
  done
  say "warning: builders still running 60 s after the run"
}

# run_capture NAME REMOTE NOTE TRUTH_FLAGS -- COMMAND...: runs COMMAND (stderr to NAME.jsonl), then writes the truth.
# PLAN_ARGS (the scenario's nix_args words, without the expression) must be set by the caller.
run_capture() {
  local name=$1 remote=$2 note=$3 flags=$4 rc=0
  shift 5
  say "$name ..."
  node "$HELPER" plan --expr "$EXPR" "${PLAN_ARGS[@]}" --out "$STAGE/$name.plan.json"
  local cmd=("$@")
  [[ -n $remote ]] && cmd=(env "NIX_REMOTE=$remote" "${cmd[@]}")
  if [[ -n ${SIGNAL_AFTER:-} ]]; then
    set -m
    "${cmd[@]}" >/dev/null 2>"$OUT/$name.jsonl" &
    local pid=$!
    set +m
    sleep "$SIGNAL_AFTER"
    kill "-$SIGNAL_NAME" "$pid"
    wait "$pid" || rc=$?
  else
    "${cmd[@]}" >/dev/null 2>"$OUT/$name.jsonl" || rc=$?
  fi
  wait_builders_gone
  # shellcheck disable=SC2086
  node "$HELPER" truth --plan "$STAGE/$name.plan.json" --name "$name" --log "$OUT/$name.jsonl" --exit "$rc" \
    --user root --remote "$remote" "--note=$note" "--command=$(printf '%q ' "${cmd[@]}" | sed 's/ $//')" $flags \
    --out "$OUT/$name.truth.json"
  say "$name: exit $rc, $(wc -c < "$OUT/$name.jsonl") bytes"
}

# plan_args SCENARIO NONCE [K=V...]: sets PLAN_ARGS for the helper and ARGS for nix-build.
plan_args() {
  local a
  PLAN_ARGS=(--arg "scenario=$1" --arg "nonce=$2")
  for a in "${@:3}"; do PLAN_ARGS+=(--arg "$a"); done
  mapfile -t ARGS < <(nix_args "$@")
}

readonly NB=(nix-build --no-out-link --log-format internal-json)

# Scenarios: cap_<name>, each one capture (or a pair), fresh nonce each.
cap_killed() { plan_args killed "$RUN_ID-k"; run_capture daemon-killed daemon "quick-fail fails while slow-a/b/c run, no --keep-going" "" -- "${NB[@]}" -v "${ARGS[@]}"; }
cap_killed_vvv() { plan_args killed "$RUN_ID-kv"; run_capture daemon-killed-vvv daemon "same as daemon-killed at -vvv" "" -- "${NB[@]}" -vvv "${ARGS[@]}"; }
cap_killed_local() { plan_args killed "$RUN_ID-kl"; run_capture local-killed "" "same as daemon-killed, local store" "" -- "${NB[@]}" -v "${ARGS[@]}"; }
cap_pair() { plan_args pair "$RUN_ID-p"; run_capture daemon-pair-keep-going daemon "twin-x, twin-y fail and twin-z succeeds in the same second, --keep-going" "" -- "${NB[@]}" -v --keep-going "${ARGS[@]}"; }
cap_chatter() {
  plan_args chatter "$RUN_ID-c" "cacheNonce=$RUN_ID-c"
  # prebuilt is valid before the run: at -vvv Nix says so.
  env NIX_REMOTE=daemon nix-build --no-out-link "$EXPR" --argstr scenario prebuilt --argstr cacheNonce "$RUN_ID-c" >/dev/null 2>&1
  run_capture daemon-chatter-vvv daemon "-vvv, --keep-going: echo-fake prints Nix's failure wording and succeeds, wobble fails, prebuilt already valid" "" -- "${NB[@]}" -vvv --keep-going "${ARGS[@]}"
}
cap_timeout() {
  plan_args timeout "$RUN_ID-t"; run_capture daemon-timeout daemon "--timeout 3 through the daemon (Nix 2.8's worker crashes)" "" -- "${NB[@]}" -v --timeout 3 "${ARGS[@]}"
  plan_args timeout "$RUN_ID-tl"; run_capture local-timeout "" "--timeout 3, local store" "" -- "${NB[@]}" -v --timeout 3 "${ARGS[@]}"
}
cap_silence() {
  plan_args silence "$RUN_ID-s"; run_capture daemon-silence daemon "--max-silent-time 2 through the daemon" "" -- "${NB[@]}" -v --max-silent-time 2 "${ARGS[@]}"
  plan_args silence "$RUN_ID-sl"; run_capture local-silence "" "--max-silent-time 2, local store" "" -- "${NB[@]}" -v --max-silent-time 2 "${ARGS[@]}"
}
cap_fixed() { plan_args fixed "$RUN_ID-f"; run_capture daemon-hash-mismatch daemon "fixed-output derivation with a wrong hash" "" -- "${NB[@]}" -v "${ARGS[@]}"; }
cap_nondet() {
  plan_args nondet "$RUN_ID-n"
  env NIX_REMOTE=daemon "${NB[@]}" "${ARGS[@]}" >/dev/null 2>&1
  run_capture daemon-check-nondeterministic daemon "--check of a build whose output differs each time" "--check" -- "${NB[@]}" -v --check "${ARGS[@]}"
}
cap_nodev() { plan_args nodev "$RUN_ID-o"; run_capture daemon-missing-output daemon "declares out and dev, writes only out" "" -- "${NB[@]}" -v "${ARGS[@]}"; }
cap_linger() { plan_args linger "$RUN_ID-l"; run_capture local-background-process "" "daemonish leaves a sleep running behind it, local store" "" -- "${NB[@]}" -v "${ARGS[@]}"; }
cap_maxjobs0() { plan_args tree "$RUN_ID-m"; run_capture daemon-max-jobs-0 daemon "--max-jobs 0: nothing may be built" "--notbuilt" -- "${NB[@]}" -v --max-jobs 0 "${ARGS[@]}"; }
cap_dryrun() { plan_args tree "$RUN_ID-d"; run_capture daemon-dry-run daemon "--dry-run" "--notbuilt" -- "${NB[@]}" -v --dry-run "${ARGS[@]}"; }
cap_realise() {
  plan_args pair "$RUN_ID-r"
  local drv; drv=$(nix-instantiate "${ARGS[@]}" 2>/dev/null)
  run_capture daemon-realise-drv daemon "nix-store --realise of a .drv (pair: twin-x, twin-y fail, --keep-going)" "" -- nix-store --realise "$drv" --keep-going --log-format internal-json -v
}
cap_newcli() {
  plan_args killed "$RUN_ID-nc"
  run_capture daemon-new-cli-fail daemon "nix build (new CLI, no plan lines in 2.8) of the killed graph" "" -- \
    nix --extra-experimental-features nix-command build --no-link --log-format internal-json -v -f "${ARGS[@]}"
}
cap_signals() {
  plan_args tree "$RUN_ID-i"; SIGNAL_AFTER=3 SIGNAL_NAME=INT run_capture daemon-sigint daemon "SIGINT to nix-build after 3 s, branches running" "--signal SIGINT" -- "${NB[@]}" -v "${ARGS[@]}"
  plan_args tree "$RUN_ID-j"; SIGNAL_AFTER=3 SIGNAL_NAME=KILL run_capture daemon-sigkill daemon "SIGKILL to nix-build after 3 s, branches running" "--signal SIGKILL" -- "${NB[@]}" -v "${ARGS[@]}"
  plan_args tree "$RUN_ID-il"; SIGNAL_AFTER=3 SIGNAL_NAME=INT run_capture local-sigint "" "SIGINT to nix-build after 3 s, local store" "--signal SIGINT" -- "${NB[@]}" -v "${ARGS[@]}"
}
cap_twins() {
  plan_args tree "$RUN_ID-w"
  ( sleep 1; PLAN_ARGS=("${PLAN_ARGS[@]}") run_capture daemon-same-drvs-2 daemon "second client on the same derivations, 1 s later" "--concurrent daemon-same-drvs-1" -- "${NB[@]}" -v "${ARGS[@]}" ) &
  local second=$!
  run_capture daemon-same-drvs-1 daemon "first of two clients on the same derivations" "--concurrent daemon-same-drvs-2" -- "${NB[@]}" -v "${ARGS[@]}"
  wait "$second"
}
# The cache: leaf-1 and leaf-2 built, copied to a file:// cache, deleted from the store, then substituted.
fill_cache() {
  local cn=$1 outs drv
  rm -rf "$CACHE"
  env NIX_REMOTE=daemon nix-build --no-out-link "$EXPR" --argstr scenario leaves --argstr cacheNonce "$cn" >/dev/null 2>&1
  drv=$(nix-instantiate "$EXPR" --argstr scenario leaves --argstr cacheNonce "$cn" 2>/dev/null)
  # shellcheck disable=SC2046
  outs=$(nix-store -q --outputs $(nix-store -qR "$drv" | grep -E 'leaf-[12]\.drv$'))
  # shellcheck disable=SC2086
  nix --extra-experimental-features nix-command copy --to "file://$CACHE" $outs
  # shellcheck disable=SC2086
  env NIX_REMOTE=daemon nix-store --delete $outs >/dev/null
}
cap_cache() {
  local subst=(--option substituters "file://$CACHE?trusted=1")
  fill_cache "$RUN_ID-cc"
  plan_args cache "$RUN_ID-cc" "cacheNonce=$RUN_ID-cc"
  run_capture daemon-substitute daemon "leaf-1, leaf-2 from a file:// binary cache, on-top built" "--cache $CACHE" -- "${NB[@]}" -v "${subst[@]}" "${ARGS[@]}"
  fill_cache "$RUN_ID-cv"
  plan_args cache "$RUN_ID-cv" "cacheNonce=$RUN_ID-cv"
  run_capture daemon-substitute-vvv daemon "same at -vvv" "--cache $CACHE" -- "${NB[@]}" -vvv "${subst[@]}" "${ARGS[@]}"
  fill_cache "$RUN_ID-cm"
  rm -f "$CACHE"/nar/*  # narinfo left, NAR gone: Nix falls back to building (--fallback)
  plan_args cache "$RUN_ID-cm" "cacheNonce=$RUN_ID-cm"
  run_capture daemon-missing-nar daemon "NARs missing from the cache: --fallback builds leaf-1, leaf-2" "--cache $CACHE" -- "${NB[@]}" -v --fallback "${subst[@]}" "${ARGS[@]}"
}
cap_wide() { plan_args wide "$RUN_ID-x" count=2000; run_capture daemon-wide-2000 daemon "2,000 derivations in 100 rows of 20" "" -- "${NB[@]}" -v "${ARGS[@]}"; }

# The daemon worker serving the client dies mid-build (kill -9 of the builder's parent, the worker of OUR client
# only): the client's log ends with "unexpected end-of-file", as when Nix 2.8's worker hits an assertion.
cap_crash() {
  plan_args tree "$RUN_ID-z"
  ( sleep 3
    local b
    for b in $(pgrep -u "$BUILD_USERS"); do
      if tr '\0' '\n' < "/proc/$b/environ" 2>/dev/null | grep -q "^nonce=$RUN_ID-z$"; then kill -9 "$(ps -o ppid= -p "$b" | tr -d ' ')"; break; fi
    done ) &
  run_capture daemon-worker-crash daemon "the daemon worker serving this client is killed (SIGKILL) 3 s in" "" -- "${NB[@]}" -v "${ARGS[@]}"
  wait
}

ALL=(killed killed_vvv killed_local pair chatter timeout silence fixed nondet nodev linger maxjobs0 dryrun realise newcli signals twins cache wide crash)

main() {
  preflight
  local names=("$@")
  [[ ${#names[@]} -eq 0 ]] && names=("${ALL[@]}")
  for n in "${names[@]}"; do "cap_$n"; done
  say "done: $(du -sh "$OUT" | cut -f1) in $OUT"
}

main "$@"
