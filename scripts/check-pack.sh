#!/usr/bin/env bash
# The npm tarball holds exactly what the package needs, and works when installed from it in a clean directory:
#   1. npm pack (of the built checkout) and compare its file list with the expected one, both ways: package.json,
#      README, bin/, dist/src/*.js (each from a source in src/, no maps, no bench), binding.gyp and native/ (the
#      addon is built at install time), man/nix-btm.1, demo/ (the --demo recording); nothing else;
#   2. npm install --foreground-scripts <tarball> in an empty directory: dependencies from the registry, the
#      addon by node-gyp there (Node's headers from npm's nodedir setting), no devDependencies;
#   3. the installed nix-btm: --help, --version, replay --json of a real capture, and a daemon that starts with
#      the addon, answers status, and cleans up on SIGTERM.
# Needs network to the npm registry and a C++ toolchain. Run after the build (npm ci / npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

say() { printf 'check-pack: %s\n' "$*"; }
die() { printf 'check-pack: FAILED: %s\n' "$*" >&2; exit 1; }
failures=0
fail() { printf 'check-pack: FAILED: %s\n' "$*" >&2; failures=$((failures + 1)); }
[[ -f dist/src/cli.js ]] || die "dist/src/cli.js missing: build first (npm ci)"

work=$(mktemp -d /tmp/nix-btm-check-pack.XXXXXX)
daemon=""
cleanup() { [[ -n $daemon ]] && kill "$daemon" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# 1. pack (--ignore-scripts: dist/ is already built; `prepare` would only rebuild it) and list
tarball=$(npm pack --ignore-scripts --silent --pack-destination "$work")
tarball=$work/$tarball
tar -tzf "$tarball" | sed 's|^package/||' | sort > "$work/packed"

{
  printf '%s\n' package.json README.md bin/nix-btm binding.gyp scripts/install-addon.mjs man/nix-btm.1
  ls LICENSE* 2>/dev/null || true
  find native -type f
  [[ -d demo ]] && find demo -type f
  find dist/src -type f -name '*.js'
} | sort > "$work/expected"

stale=$(cd dist/src && find . -name '*.js' | sed 's|^\./||; s|\.js$||' | while read -r f; do
  [[ -f $repo/src/$f.ts || -f $repo/src/$f.tsx ]] || echo "dist/src/$f.js"; done)
[[ -z $stale ]] || die "dist/src has outputs of deleted sources (rebuild dist from scratch): $stale"

if ! diff -u "$work/expected" "$work/packed" > "$work/diff"; then
  cat "$work/diff" >&2
  die "the tarball's files differ from the expected list (- missing, + unexpected)"
fi
say "$(wc -l < "$work/packed") files in $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB), exactly the expected ones"

# 2. install from the tarball in an empty directory
app=$work/app
mkdir "$app"
printf '{ "name": "nix-btm-pack-check", "private": true }\n' > "$app/package.json"
(cd "$app" && npm install --foreground-scripts --no-audit --no-fund "$tarball" > "$work/install.log" 2>&1) \
  || { tail -n 40 "$work/install.log" >&2; die "npm install of the tarball"; }
pkg=$app/node_modules/nix-btm
[[ -f $pkg/build/Release/nix_btm_native.node ]] || die "the addon was not built at install time"
for dev in typescript vitest eslint; do [[ ! -e $app/node_modules/$dev ]] || die "devDependency $dev was installed"; done
say "installed in a clean directory; node-gyp built the addon there"

# 3. run it, from elsewhere than the package
bin=$app/node_modules/.bin/nix-btm
cd /
help=$("$bin" --help) || die "nix-btm --help exited $?"
grep -q 'nix-btm daemon' <<<"$help" || die "--help does not list the daemon: $help"
version=$("$bin" --version)
[[ $version == "$(node -p "require('$repo/package.json').version")" ]] \
  || fail "--version of the installed package says '$version' (yargs reads the package.json above the bin symlink, not nix-btm's)"
capture=$repo/tests/fixtures/nix-2.8/log-daemon-root-dag-success.jsonl
"$bin" replay --json "$capture" > "$work/replay.json" || die "replay --json exited $?"
node -e '
  const doc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const built = doc.derivations.filter((d) => d.status === "built").length;
  if (doc.derivations.length !== 16 || built !== 16) { console.error(`${built} of ${doc.derivations.length} built`); process.exit(1); }
' "$work/replay.json" || die "replay --json of $(basename "$capture"): expected 16 derivations, all built"
say "--help and replay --json (16 derivations built) work from the installed package"

runtime=$work/runtime
mkdir -m 0700 "$runtime"
"$bin" daemon --runtime-dir "$runtime" --refresh 200 &
daemon=$!
for _ in $(seq 100); do [[ -S $runtime/control.sock ]] && break; sleep 0.1; done
status=$("$bin" status --json --runtime-dir "$runtime") || die "status against the installed daemon (log: $(cat "$runtime/daemon.log" 2>/dev/null))"
[[ $(node -p 'JSON.parse(process.argv[1]).daemon.pid' "$status") == "$daemon" ]] || die "status answered by another daemon"
kill -TERM "$daemon"
wait "$daemon" || die "the daemon exited non-zero on SIGTERM"
daemon=""
[[ ! -e $runtime/control.sock && ! -e $runtime/nix-log.sock ]] || die "sockets left behind"
say "the installed daemon (ring addon) starts, answers status --json and cleans up on SIGTERM"

if command -v man >/dev/null; then
  man -l "$pkg/man/nix-btm.1" 2>/dev/null | grep -q 'NIX-BTM(1)' || die "the packaged man page does not render"
  say "the packaged man page renders"
fi
[[ $failures -eq 0 ]] || die "$failures check(s) failed (above)"
say "all packaging checks passed"
