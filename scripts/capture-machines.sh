#!/usr/bin/env bash
# Real captures of how Nix names the machine of a build it offloads (issue 13): Nix 2.8 (Debian's nix-bin) and Nix
# 2.30.5 (/opt/nix-new) run `nix-build --max-jobs 0 --builders SPEC --log-format internal-json -v` with every
# machine-spec form, against an sshd of this script's own on 127.0.0.1 and ::1 (one per Nix, so each Nix's
# `nix-store --serve` / `nix-daemon --stdio` is the far side's), each far side building through a nix-daemon of
# this script's own that trusts nixbtm-test (Nix refuses to build a derivation sent by an untrusted user).
# The local nix-build uses a store of its own (--store DIR), so the build can only happen on the "remote".
# Output: tests/fixtures/machines/nix-<version>/<form>.jsonl (stderr exactly as Nix wrote it) and <form>.spec
# (the --builders value, then the exit code). Nothing shared is touched: not the shared daemons, not /etc/nix*.
# Run as root after scripts/nix-setup.sh and /work/shared/nix-new/install.sh: `bash scripts/capture-machines.sh`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/tests/fixtures/machines
TEST_USER=nixbtm-test
W=$(mktemp -d /tmp/btm-capture-machines-XXXXXX)
chmod 755 "$W"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ssh-keygen -q -t ed25519 -N '' -f "$W/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$W/client_key"
mkdir -m 755 "$W/keys"
install -m 644 "$W/client_key.pub" "$W/keys/$TEST_USER"
usermod -p '*' "$TEST_USER"
mkdir -p /run/sshd

# The far side of one Nix: its nix-daemon (trusting the test user) and an sshd whose sessions reach it.
far_side() { # $1 tag, $2 nix bin dir, $3 build-users-group
  local tag=$1 bin=$2 group=$3 p
  mkdir -p "$W/$tag/conf"
  printf 'build-users-group = %s\nsandbox = false\nsubstituters =\nexperimental-features = nix-command\ntrusted-users = root %s\n' "$group" "$TEST_USER" > "$W/$tag/conf/nix.conf"
  NIX_CONF_DIR=$W/$tag/conf NIX_DAEMON_SOCKET_PATH=$W/$tag/daemon.sock setsid "$bin/nix-daemon" > "$W/$tag/nix-daemon.log" 2>&1 < /dev/null &
  PIDS+=($!)
  for _ in $(seq 50); do [ -S "$W/$tag/daemon.sock" ] && break; sleep 0.1; done
  chmod 666 "$W/$tag/daemon.sock"
  p=$(port)
  cat > "$W/$tag/sshd_config" <<EOF
Port $p
ListenAddress 127.0.0.1
ListenAddress ::1
HostKey $W/host_key
PidFile $W/$tag/sshd.pid
AuthorizedKeysFile $W/keys/%u
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin no
AllowUsers $TEST_USER
LogLevel ERROR
SetEnv NIX_REMOTE=unix://$W/$tag/daemon.sock PATH=$bin:/usr/bin:/bin
EOF
  /usr/sbin/sshd -D -f "$W/$tag/sshd_config" -E "$W/$tag/sshd.log" &
  PIDS+=($!)
  # Every name the forms use reaches this sshd as the test user; the no-port config leaves the port to the URI.
  printf 'Host 127.0.0.1 localhost ::1\n  User %s\n  Port %s\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking accept-new\n  LogLevel ERROR\n' \
    "$TEST_USER" "$p" "$W/client_key" "$W/$tag/known_hosts" > "$W/$tag/ssh_config"
  grep -v '^  Port' "$W/$tag/ssh_config" > "$W/$tag/ssh_config_noport"
  echo "$p" > "$W/$tag/port"
  for _ in $(seq 50); do ssh -F "$W/$tag/ssh_config" -o BatchMode=yes "$TEST_USER@127.0.0.1" true 2>/dev/null && return; sleep 0.1; done
  echo "sshd for $tag does not let $TEST_USER in" >&2; exit 1
}

cat > "$W/one.nix" <<'EOF'
{ nonce ? "0", name ? "btm-machines" }:
builtins.derivation {
  inherit name;
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" "echo building ${nonce}; sleep 1; echo done > $out" ];
}
EOF
cat > "$W/two.nix" <<'EOF'
{ nonce ? "0", name ? "btm-machines" }:
let mk = n: builtins.derivation {
  name = "${name}-${n}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  args = [ "-c" "echo building ${nonce}; sleep 2; echo done > $out" ];
}; in [ (mk "a") (mk "b") ]
EOF
chmod 644 "$W"/*.nix
mkdir -p "$W/client-conf"
printf 'sandbox = false\nsubstituters =\nexperimental-features = nix-command\nbuild-users-group =\n' > "$W/client-conf/nix.conf"

capture() { # $1 tag, $2 nix bin dir, $3 form, $4 builders, $5 expr, $6 ssh config name
  local tag=$1 bin=$2 form=$3 spec=$4 expr=$5 cfg=${6:-ssh_config} dir=$OUT/$tag code=0
  mkdir -p "$dir"
  # PATH: `ssh://localhost` is not ssh at all (Nix runs the far command here, as the user who ran Nix): that Nix's own.
  PATH=$bin:$PATH NIX_CONF_DIR=$W/client-conf NIX_SSHOPTS="-F $W/$tag/$cfg" NIX_REMOTE='' timeout 180 "$bin/nix-build" --store "$W/store-$tag-$form" \
    "$W/$expr" --argstr nonce "$(date +%s%N)" --argstr name "btm-machines-$form" --no-out-link --max-jobs 0 \
    --builders "$spec" --log-format internal-json -v > /dev/null 2> "$dir/$form.jsonl" || code=$?
  printf '%s\n%s\n' "$spec" "$code" > "$dir/$form.spec"
  echo "$tag $form: exit $code"
}

forms() { # $1 tag, $2 nix bin dir
  local tag=$1 bin=$2 p
  p=$(cat "$W/$tag/port")
  capture "$tag" "$bin" ssh "ssh://$TEST_USER@127.0.0.1 x86_64-linux" one.nix
  capture "$tag" "$bin" ssh-ng "ssh-ng://$TEST_USER@127.0.0.1 x86_64-linux" one.nix
  capture "$tag" "$bin" bare-user-host "$TEST_USER@127.0.0.1 x86_64-linux" one.nix
  capture "$tag" "$bin" bare-ip "127.0.0.1 x86_64-linux" one.nix
  capture "$tag" "$bin" localhost "ssh://localhost x86_64-linux" one.nix
  capture "$tag" "$bin" ipv6-bare "ssh://$TEST_USER@::1 x86_64-linux" one.nix
  capture "$tag" "$bin" ipv6-brackets "ssh://$TEST_USER@[::1] x86_64-linux" one.nix
  capture "$tag" "$bin" ssh-ng-ipv6 "ssh-ng://[::1] x86_64-linux" one.nix
  capture "$tag" "$bin" port "ssh://$TEST_USER@127.0.0.1:$p x86_64-linux" one.nix ssh_config_noport
  capture "$tag" "$bin" ssh-ng-port "ssh-ng://$TEST_USER@127.0.0.1:$p x86_64-linux" one.nix ssh_config_noport
  capture "$tag" "$bin" query "ssh://$TEST_USER@127.0.0.1?remote-store=unix://$W/$tag/daemon.sock x86_64-linux" one.nix
  # Several machines with every field (systems, key, max-jobs, speed, features, mandatory features, host key), a
  # comment and a blank line, in a machines file; then `;`-separated on the command line.
  printf '# two machines, every field\nssh://%s@localhost x86_64-linux,i686-linux %s 1 2 big-parallel,kvm - -\n\nssh-ng://%s@127.0.0.1 x86_64-linux - 1 1 - - -\n' \
    "$TEST_USER" "$W/client_key" "$TEST_USER" > "$W/$tag/machines"
  chmod 644 "$W/$tag/machines"
  capture "$tag" "$bin" machines-file "@$W/$tag/machines" two.nix
  capture "$tag" "$bin" semicolons "ssh://$TEST_USER@localhost x86_64-linux - 1 1; ssh-ng://[::1] x86_64-linux - 1 1" two.nix
  cp "$W/$tag/machines" "$OUT/$tag/machines-file.machines"
}

far_side nix-2.8 /usr/bin nixbld
far_side nix-2.30 /opt/nix-new/bin nixbldnew
forms nix-2.8 /usr/bin
forms nix-2.30 /opt/nix-new/bin
echo "captures in $OUT"
