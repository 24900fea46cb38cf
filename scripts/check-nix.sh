#!/usr/bin/env bash
# What can be checked of nix/ and flake.nix without nixpkgs (CI has none, and no network but the npm registry):
#   1. every .nix file in the repository parses (nix-instantiate --parse);
#   2. nix/check.nix evaluates flake.nix, the package, the module and the VM test against stub inputs;
#   3. the registry URLs nix/npm-lock.nix makes up for package-lock.json are the registry's own (npm view);
#   4. the systemd unit's ExecStart, run here as root with the built checkout, starts a daemon that answers,
#      sees the VM test's probe derivation built by local Nix (through `nix-btm run`: Nix 2.8 has no
#      json-log-path), and cleans up on SIGTERM.
# What needs nixpkgs (building nix/package.nix, the NixOS VM test) cannot run here: see nix/tests/vm.nix.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'check-nix: %s\n' "$*"; }
die() { printf 'check-nix: FAILED: %s\n' "$*" >&2; exit 1; }
command -v nix-instantiate >/dev/null || die "nix-instantiate not found (scripts/nix-setup.sh installs Nix)"

# 1. parse
count=0
while IFS= read -r -d '' f; do
  nix-instantiate --parse "$f" >/dev/null || die "$f does not parse"
  count=$((count + 1))
done < <(find . -name '*.nix' -not -path './node_modules/*' -not -path './.git/*' -not -path './dist/*' -print0)
[[ $count -ge 5 ]] || die "only $count .nix files found"
say "$count .nix files parse"

# 2. evaluate against stubs
facts=$(nix-instantiate --eval --strict --json nix/check.nix) || die "nix/check.nix"
fact() { node -e 'const f = JSON.parse(process.argv[1]); const v = process.argv[2].split(".").reduce((o, k) => o[k], f); process.stdout.write(String(v));' "$facts" "$1"; }
say "nix/check.nix: flake outputs, package ($(fact lockEntries) lock entries with registry URLs), module and VM test evaluate"

# 3. the made-up tarball URLs are the registry's
for name in ink @alcalzone/ansi-tokenize; do
  version=$(node -p "require('./package-lock.json').packages['node_modules/$name'].version")
  real=$(npm view "$name@$version" dist.tarball) || die "npm view $name@$version"
  [[ $real == "$(fact "sample.$name")" ]] || die "tarball URL of $name: nix/npm-lock.nix says $(fact "sample.$name"), the registry $real"
done
say "registry tarball URLs match npm view"

# 4. the unit's command, for real
[[ -f dist/src/cli.js && -f build/Release/nix_btm_native.node ]] || die "build first (npm ci)"
dir=$(mktemp -d /tmp/nix-btm-check-nix.XXXXXX)
group=root
getent group nix-users >/dev/null && group=nix-users
exec_start=$(fact execStart)
exec_start=${exec_start/"$(fact packageOut)/bin/nix-btm"/"$PWD/bin/nix-btm"}
exec_start=${exec_start/"--runtime-dir /run/nix-btm"/"--runtime-dir $dir"}
exec_start=${exec_start/"--group wheel"/"--group $group"}
say "running the unit's ExecStart: $exec_start"
# shellcheck disable=SC2086 # ExecStart is a command line with no quoting needed (checked above)
$exec_start &
daemon=$!
cleanup() { kill "$daemon" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do [[ -S $dir/control.sock ]] && break; sleep 0.1; done
[[ -S $dir/nix-log.sock ]] || die "no $dir/nix-log.sock (daemon.log: $(cat "$dir/daemon.log" 2>/dev/null))"
[[ $(stat -c %G "$dir/control.sock") == "$group" ]] || die "control.sock is not group $group"

probe=$dir/probe.nix
fact probe > "$probe"
nonce="check-nix-$$-$RANDOM"
out=$(node bin/nix-btm run --runtime-dir "$dir" --no-daemon -- nix-build "$probe" --argstr nonce "$nonce" --no-out-link 2>/dev/null) \
  || die "the VM test's probe derivation does not build with local Nix"
[[ $(cat "$out") == ok ]] || die "probe output $out"
status=$(node bin/nix-btm status --json --log-lines 20 --runtime-dir "$dir")
node -e '
  const doc = JSON.parse(process.argv[1]);
  const seen = doc.derivations.some((d) => d.name === "nix-btm-probe" && d.status === "built" && d.logTail.some((l) => l.includes(process.argv[2])));
  if (!seen) { console.error(JSON.stringify(doc.derivations, null, 2)); process.exit(1); }' "$status" "$nonce" \
  || die "the daemon did not see the probe built"
say "the daemon saw the probe derivation built"

kill -TERM "$daemon"
wait "$daemon" || die "the daemon exited non-zero on SIGTERM"
[[ ! -e $dir/nix-log.sock && ! -e $dir/control.sock ]] || die "sockets left behind after SIGTERM"
say "SIGTERM: clean exit, sockets removed"
say "all Nix checks passed (not run here: building nix/package.nix and the VM test, which need nixpkgs)"
