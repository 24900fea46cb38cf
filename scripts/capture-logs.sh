#!/usr/bin/env bash
# Regenerates tests/fixtures/captures/: the raw stderr of real nix-build / nix build runs with
# --log-format internal-json, plus a <name>.truth.json beside each, computed from the real store
# (plan before the run, output validity after it). Nothing in the captures is typed or edited by hand.
#
#   sudo bash scripts/capture-logs.sh     (needs scripts/nix-setup.sh first; takes ~90 s; not run by CI)
#
# The expression is copied to $STAGE (world-readable, so the test user can read it too); every run
# gets a fresh nonce so everything rebuilds.
set -euo pipefail

readonly ROOT=$(cd "$(dirname "$0")/.." && pwd)
readonly OUT="$ROOT/tests/fixtures/captures"
readonly STAGE=/tmp/nix-btm-capture
readonly EXPR="$STAGE/graph.nix"
readonly TEST_USER=nixbtm-test
readonly BUILD_USERS=nixbld1,nixbld2,nixbld3,nixbld4,nixbld5,nixbld6,nixbld7,nixbld8
readonly RUN_ID=$(date +%Y%m%d%H%M%S)
HELPER=""

say() { printf 'capture: %s\n' "$*"; }
die() { printf 'capture: ERROR: %s\n' "$*" >&2; exit 1; }

preflight() {
  [[ $(id -u) -eq 0 ]] || die "run as root (it runs builds as root and as $TEST_USER)"
  command -v nix-build >/dev/null || die "nix-build missing: run scripts/nix-setup.sh"
  NIX_REMOTE=daemon nix --extra-experimental-features nix-command store ping >/dev/null 2>&1 \
    || die "no nix-daemon answers: run scripts/nix-setup.sh"
  id "$TEST_USER" >/dev/null 2>&1 || die "user $TEST_USER missing: run scripts/nix-setup.sh"
  mkdir -p "$STAGE"
  chmod 755 "$STAGE"
  install -m 644 "$OUT/nix/graph.nix" "$EXPR"
  HELPER=$(mktemp --suffix=.mjs)
  write_helper "$HELPER"
}

# The node helper: `plan` (before a run) and `truth` (after it). Store queries only, as root, local store.
write_helper() {
  cat > "$1" <<'EOF'
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const valid = (path) => { try { execFileSync('nix-store', ['--check-validity', path], { stdio: 'ignore' }); return true; } catch { return false; } };
const showDrv = (drv) => JSON.parse(run('nix', ['--extra-experimental-features', 'nix-command', 'show-derivation', drv]))[drv];
const outputsOf = (d) => Object.fromEntries(Object.entries(d.outputs).map(([name, o]) => [name, o.path]));

function plan(expr, argPairs) {
  const args = Object.fromEntries(argPairs.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  const argstr = Object.entries(args).flatMap(([k, v]) => ['--argstr', k, v]);
  const topDrv = run('nix-instantiate', [expr, ...argstr]);
  const closure = run('nix-store', ['-qR', topDrv]).split('\n').filter((p) => p.endsWith('.drv'));
  const plannedDrvs = closure.filter((drv) => !Object.values(outputsOf(showDrv(drv))).every(valid)).sort();
  return { expression: expr, args, topDrv, plannedDrvs };
}

function truth(p, o) {
  const info = Object.fromEntries(p.plannedDrvs.map((drv) => [drv, showDrv(drv)]));
  const nameOf = (drv) => info[drv].env.name;
  const failingDrv = p.args.fail ? p.plannedDrvs.find((drv) => nameOf(drv).startsWith(`${p.args.fail}-`)) ?? null : null;
  const depsOf = (drv) => Object.keys(info[drv].inputDrvs).sort();
  const reaches = (drv, target) => drv === target || depsOf(drv).some((d) => info[d] && reaches(d, target));
  const drvs = Object.fromEntries(p.plannedDrvs.map((drv) => {
    const outputs = outputsOf(info[drv]);
    const outputValid = Object.fromEntries(Object.entries(outputs).map(([n, path]) => [n, valid(path)]));
    return [drv, {
      name: nameOf(drv),
      outputs,
      outputValid,
      outputsValid: Object.values(outputValid).every(Boolean),
      deps: depsOf(drv),
      depOutputs: info[drv].inputDrvs,
      dependsOnFailing: failingDrv !== null && drv !== failingDrv && reaches(drv, failingDrv),
    }];
  }));
  return {
    capture: o.name,
    log: `${o.name}.jsonl`,
    command: o.command,
    user: o.user,
    nixRemote: o.remote || null,
    nixVersion: run('nix-build', ['--version']).replace(/^.* /, ''),
    exitCode: Number(o.exit),
    note: o.note,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.concurrent ? { concurrentWith: o.concurrent } : {}),
    expression: 'nix/graph.nix',
    expressionPathUsed: p.expression,
    args: p.args,
    topDrv: p.topDrv,
    failingDrv,
    plannedDrvs: p.plannedDrvs,
    drvs,
  };
}

const { positionals, values } = parseArgs({ allowPositionals: true, options: {
  expr: { type: 'string' }, arg: { type: 'string', multiple: true, default: [] }, plan: { type: 'string' },
  name: { type: 'string' }, command: { type: 'string' }, user: { type: 'string' }, remote: { type: 'string' },
  exit: { type: 'string' }, note: { type: 'string' }, signal: { type: 'string' }, concurrent: { type: 'string' },
  out: { type: 'string' } } });
if (positionals[0] === 'plan') {
  writeFileSync(values.out, JSON.stringify(plan(values.expr, values.arg)));
} else {
  const p = JSON.parse(readFileSync(values.plan, 'utf8'));
  writeFileSync(values.out, `${JSON.stringify(truth(p, values), null, 2)}\n`);
}
EOF
}

# make_plan NAME ARG=VALUE...: the drvs the run will have to build, recorded before it starts.
make_plan() {
  local name=$1 a args=()
  shift
  for a in "$@"; do args+=(--arg "$a"); done
  node "$HELPER" plan --expr "$EXPR" "${args[@]}" --out "$STAGE/$name.plan.json"
}

# write_truth NAME EXIT USER REMOTE NOTE [extra helper options...]
write_truth() {
  local name=$1 exit_code=$2 user=$3 remote=$4 note=$5
  shift 5
  node "$HELPER" truth --plan "$STAGE/$name.plan.json" --name "$name" --exit "$exit_code" --user "$user" \
    --remote "$remote" --note "$note" --command "$(cat "$STAGE/$name.cmd")" "$@" --out "$OUT/$name.truth.json"
  say "$name: exit $exit_code, $(grep -c '"outputsValid": true' "$OUT/$name.truth.json") of" \
    "$(grep -c '"outputsValid"' "$OUT/$name.truth.json") planned drvs valid, $(wc -c < "$OUT/$name.jsonl") bytes"
}

# build_cmd USER REMOTE ARGS...: sets CMD to the full command line of a run (user switch and env included).
build_cmd() {
  local user=$1 remote=$2
  shift 2
  CMD=()
  [[ $user != root ]] && CMD+=(runuser -u "$user" -- env "HOME=/home/$user")
  [[ -n $remote ]] && CMD+=(env "NIX_REMOTE=$remote")
  CMD+=("$@")
}

# record_cmd NAME: the exact command, shell-quoted, for the truth file.
record_cmd() {
  local name=$1
  printf '%q ' "${CMD[@]}" | sed 's/ $//' > "$STAGE/$name.cmd"
}

# nix_build_args ARG=VALUE...: the nix-build command on the staged expression, one word per line.
nix_build_args() {
  local a out=()
  for a in "$@"; do out+=(--argstr "${a%%=*}" "${a#*=}"); done
  printf '%s\n' nix-build "$EXPR" "${out[@]}" --no-out-link --log-format internal-json -v
}

# Waits (bounded) until no builder runs: an interrupted daemon client's builds stop after it is gone.
wait_builders_gone() {
  local i
  for i in $(seq 1 60); do
    pgrep -u "$BUILD_USERS" >/dev/null || return 0
    sleep 0.5
  done
  say "warning: builders still running 30 s after the run"
}

# capture NAME USER REMOTE NOTE ARG=VALUE... [-- extra nix-build flags]: one foreground run.
capture() {
  local name=$1 user=$2 remote=$3 note=$4 rc=0 args=() extra=() base
  shift 4
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  [[ $# -gt 0 ]] && { shift; extra=("$@"); }
  say "$name ..."
  make_plan "$name" "${args[@]}"
  mapfile -t base < <(nix_build_args "${args[@]}")
  build_cmd "$user" "$remote" "${base[@]}" "${extra[@]}"
  record_cmd "$name"
  "${CMD[@]}" >/dev/null 2>"$OUT/$name.jsonl" || rc=$?
  wait_builders_gone
  write_truth "$name" "$rc" "$user" "$remote" "$note"
}

capture_sigint() {
  local name=$1 remote=$2 after=$3 note=$4 pid rc=0 base
  shift 4
  say "$name ..."
  make_plan "$name" "$@"
  mapfile -t base < <(nix_build_args "$@")
  build_cmd root "$remote" "${base[@]}"
  record_cmd "$name"
  # Job control on, so the background job does not start with SIGINT ignored (bash does that without -m).
  set -m
  "${CMD[@]}" >/dev/null 2>"$OUT/$name.jsonl" &
  pid=$!
  set +m
  sleep "$after"
  kill -INT "$pid"
  wait "$pid" || rc=$?
  wait_builders_gone
  write_truth "$name" "$rc" root "$remote" "$note" --signal "SIGINT to the client after ${after}s"
}

capture_two_clients() {
  local a=$1 b=$2 nonce=$3 pid_a pid_b rc_a=0 rc_b=0 base_a base_b
  say "$a + $b ..."
  make_plan "$a" "nonce=$nonce"
  make_plan "$b" "nonce=$nonce" target=bundle-tools
  mapfile -t base_a < <(nix_build_args "nonce=$nonce")
  mapfile -t base_b < <(nix_build_args "nonce=$nonce" target=bundle-tools)
  build_cmd root daemon "${base_a[@]}"
  record_cmd "$a"
  "${CMD[@]}" >/dev/null 2>"$OUT/$a.jsonl" &
  pid_a=$!
  sleep 1
  build_cmd root daemon "${base_b[@]}"
  record_cmd "$b"
  "${CMD[@]}" >/dev/null 2>"$OUT/$b.jsonl" &
  pid_b=$!
  wait "$pid_a" || rc_a=$?
  wait "$pid_b" || rc_b=$?
  wait_builders_gone
  write_truth "$a" "$rc_a" root daemon "first of two concurrent clients (release); second started 1 s later" \
    --concurrent "$b"
  write_truth "$b" "$rc_b" root daemon "second of two concurrent clients (bundle-tools, shares 7 drvs), started 1 s after the first" \
    --concurrent "$a"
}

capture_new_cli() {
  local name=$1 nonce=$2 rc=0
  say "$name ..."
  make_plan "$name" "nonce=$nonce"
  build_cmd root daemon nix build --extra-experimental-features nix-command -f "$EXPR" --argstr nonce "$nonce" \
    --no-link --log-format internal-json -v
  record_cmd "$name"
  "${CMD[@]}" >/dev/null 2>"$OUT/$name.jsonl" || rc=$?
  wait_builders_gone
  write_truth "$name" "$rc" root daemon "nix build (new CLI) through the daemon, success"
}

main() {
  trap '[[ -n $HELPER ]] && rm -f "$HELPER"' EXIT
  preflight
  rm -f "$OUT"/*.jsonl "$OUT"/*.truth.json
  local n="$RUN_ID"
  capture log-daemon-root-graph-success root daemon "success through the daemon" "nonce=$n-a"
  capture log-singleuser-graph-fail-libgamma root "" "libgamma fails, no --keep-going, local store" \
    "nonce=$n-b1" fail=libgamma
  capture log-daemon-root-graph-fail-libgamma root daemon "libgamma fails, no --keep-going, through the daemon" \
    "nonce=$n-b2" fail=libgamma
  capture log-daemon-root-graph-fail-libgamma-keep-going root daemon "libgamma fails, --keep-going, through the daemon" \
    "nonce=$n-c" fail=libgamma -- --keep-going
  capture_sigint log-daemon-root-graph-sigint daemon 5 "client interrupted while level-1 builds run" "nonce=$n-d1"
  capture_sigint log-singleuser-graph-sigint "" 5 "client interrupted while level-1 builds run, local store" "nonce=$n-d2"
  capture_two_clients log-daemon-root-two-clients-1-release log-daemon-root-two-clients-2-bundle-tools "$n-e"
  capture log-daemon-user-graph-success "$TEST_USER" daemon "success through the daemon as unprivileged $TEST_USER" \
    "nonce=$n-f"
  capture_new_cli log-daemon-root-nix-build-cli-success "$n-g"
  say "done: $(du -sh "$OUT" | cut -f1) in $OUT"
}

main "$@"
