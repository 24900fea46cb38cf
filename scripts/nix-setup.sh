#!/usr/bin/env bash
# Real Nix for CI and for developers: Debian's nix-bin (2.8) with a nix-daemon, no systemd needed.
#
#   sudo bash scripts/nix-setup.sh         install/configure (idempotent) and start the daemon
#   sudo bash scripts/nix-setup.sh stop    stop the daemon this script started (its pid file), nothing else
#   sudo bash scripts/nix-setup.sh status  say whether the daemon answers
#
# What it sets up (each step only when missing, and says so):
#   - package nix-bin (apt-get update only when apt does not know the package yet)
#   - group nixbld with build users nixbld1..8 (no login, home /var/empty), group nix-users
#   - /etc/nix/nix.conf (sandbox off, no substituters, 4 jobs, 2 cores, nix-command); a different file is kept as .bak
#   - nix-daemon started with setsid, log in $STATE_DIR/nix-daemon.log, pid in $STATE_DIR/nix-daemon.pid;
#     a socket left by a dead daemon is replaced
#   - unprivileged test user $TEST_USER (home /home/$TEST_USER, member of nix-users): e2e tests build as this user
#     through the daemon, e.g. `runuser -u nixbtm-test -- env NIX_REMOTE=daemon nix-build ...`
set -euo pipefail

readonly STATE_DIR=/run/nix-btm-ci
readonly PID_FILE="$STATE_DIR/nix-daemon.pid"
readonly LOG_FILE="$STATE_DIR/nix-daemon.log"
readonly SOCKET=/nix/var/nix/daemon-socket/socket
readonly NIX_CONF=/etc/nix/nix.conf
readonly TEST_USER=nixbtm-test
readonly BUILD_USERS=8
readonly READY_TIMEOUT_S="${NIX_SETUP_READY_TIMEOUT:-30}"

readonly WANTED_CONF='# Written by nix-btm scripts/nix-setup.sh
sandbox = false
substituters =
build-users-group = nixbld
max-jobs = 4
cores = 2
experimental-features = nix-command'

say() { printf 'nix-setup: %s\n' "$*"; }
die() { printf 'nix-setup: ERROR: %s\n' "$*" >&2; exit 1; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and users): sudo bash $0 ${1:-}"
}

install_nix() {
  if command -v nix-daemon >/dev/null && command -v nix-build >/dev/null; then
    say "nix-bin present: $(nix-build --version)"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Not `apt-cache ... | grep -q`: grep exiting early would SIGPIPE apt-cache and fail the pipe under pipefail.
  if [[ "$(apt-cache policy nix-bin 2>/dev/null)" != *"Candidate: "[0-9]* ]]; then
    say "apt-get update (apt does not know nix-bin yet)"
    apt-get update -qq || die "apt-get update failed"
  fi
  say "installing nix-bin"
  apt-get install -y -qq --no-install-recommends nix-bin >/dev/null || die "apt-get install nix-bin failed"
  command -v nix-daemon >/dev/null || die "nix-bin installed but nix-daemon is not on PATH"
  say "installed: $(nix-build --version)"
}

ensure_group() {
  local group=$1
  getent group "$group" >/dev/null && return
  groupadd --system "$group" || die "cannot create group $group"
  say "created group $group"
}

ensure_build_users() {
  local i user created=0
  ensure_group nixbld
  for i in $(seq 1 "$BUILD_USERS"); do
    user="nixbld$i"
    if ! id "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir /var/empty --shell /usr/sbin/nologin \
        --gid nixbld --groups nixbld --comment "Nix build user $i" "$user" || die "cannot create user $user"
      created=$((created + 1))
    elif ! id -nG "$user" | tr ' ' '\n' | grep -qx nixbld; then
      usermod -aG nixbld "$user" || die "cannot add $user to nixbld"
      say "added $user to nixbld"
    fi
  done
  if [[ $created -gt 0 ]]; then say "created $created build users (nixbld1..$BUILD_USERS)"; else say "build users present"; fi
}

ensure_test_user() {
  ensure_group nix-users
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --groups nix-users --comment "nix-btm e2e test user" "$TEST_USER" \
      || die "cannot create user $TEST_USER"
    say "created test user $TEST_USER (home /home/$TEST_USER, group nix-users)"
  elif ! id -nG "$TEST_USER" | tr ' ' '\n' | grep -qx nix-users; then
    usermod -aG nix-users "$TEST_USER" || die "cannot add $TEST_USER to nix-users"
    say "added $TEST_USER to nix-users"
  else
    say "test user $TEST_USER present"
  fi
}

# Sets CONF_CHANGED=1 when the file was (re)written, so a running daemon of ours gets restarted.
CONF_CHANGED=0
write_conf() {
  if [[ -f $NIX_CONF ]] && [[ "$(cat "$NIX_CONF")" == "$WANTED_CONF" ]]; then
    say "$NIX_CONF up to date"
    return
  fi
  mkdir -p "$(dirname "$NIX_CONF")"
  if [[ -f $NIX_CONF ]]; then
    cp "$NIX_CONF" "$NIX_CONF.bak"
    say "$NIX_CONF differs: old one kept as $NIX_CONF.bak, rewriting"
  else
    say "writing $NIX_CONF"
  fi
  printf '%s\n' "$WANTED_CONF" > "$NIX_CONF" || die "cannot write $NIX_CONF"
  CONF_CHANGED=1
}

daemon_answers() {
  NIX_REMOTE=daemon timeout 10 nix --extra-experimental-features nix-command store ping >/dev/null 2>&1
}

# Alive and not a zombie: where nobody reaps orphans (no real init), a dead daemon stays a zombie.
is_alive() {
  [[ -e /proc/$1/status ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# The pid from our pid file, if that process is still a live nix-daemon; empty otherwise.
our_daemon_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 0
  pid=$(cat "$PID_FILE")
  if [[ $pid =~ ^[0-9]+$ ]] && is_alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nix-daemon ]]; then
    echo "$pid"
  fi
}

wait_until_answers() {
  local pid=$1 waited=0
  until daemon_answers; do
    is_alive "$pid" || die "nix-daemon (pid $pid) exited at start; see $LOG_FILE:
$(tail -n 20 "$LOG_FILE")"
    [[ $waited -lt $((READY_TIMEOUT_S * 5)) ]] || die "nix-daemon (pid $pid) did not answer within ${READY_TIMEOUT_S}s; see $LOG_FILE"
    sleep 0.2
    waited=$((waited + 1))
  done
}

start_daemon() {
  local pid
  mkdir -p "$STATE_DIR"
  pid=$(our_daemon_pid)
  if [[ -n $pid ]] && daemon_answers; then
    say "nix-daemon already running (pid $pid), answers on $SOCKET"
    return
  fi
  [[ -n $pid ]] && { say "our nix-daemon (pid $pid) does not answer: restarting it"; stop_pid "$pid"; }
  if [[ -S $SOCKET ]]; then
    if daemon_answers; then
      say "a nix-daemon not started by this script answers on $SOCKET: using it (stop will leave it alone)"
      return
    fi
    say "stale socket $SOCKET (no daemon answers): removing it"
    rm -f "$SOCKET"
  fi
  setsid nix-daemon >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" > "$PID_FILE"
  say "started nix-daemon (pid $pid, log $LOG_FILE)"
  wait_until_answers "$pid"
  say "nix-daemon answers: NIX_REMOTE=daemon nix store ping ok"
}

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    is_alive "$pid" || break
    sleep 0.2
  done
  if is_alive "$pid"; then
    say "nix-daemon (pid $pid) ignored SIGTERM for 10s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE" "$SOCKET"
}

stop_daemon() {
  local pid
  pid=$(our_daemon_pid)
  if [[ -z $pid ]]; then
    rm -f "$PID_FILE"
    say "no nix-daemon started by this script is running: nothing to stop"
    return
  fi
  stop_pid "$pid"
  say "stopped nix-daemon (pid $pid)"
}

setup() {
  local pid
  require_root
  install_nix
  ensure_build_users
  ensure_test_user
  write_conf
  pid=$(our_daemon_pid)
  if [[ $CONF_CHANGED -eq 1 && -n $pid ]]; then
    say "config changed: restarting our nix-daemon (pid $pid)"
    stop_pid "$pid"
  fi
  start_daemon
  say "ready: single-user 'nix-build ...' as root, or 'NIX_REMOTE=daemon nix-build ...' (root or $TEST_USER)"
}

main() {
  case "${1:-setup}" in
    setup) setup ;;
    stop) require_root stop; stop_daemon ;;
    status)
      if daemon_answers; then say "nix-daemon answers (pid file: $(cat "$PID_FILE" 2>/dev/null || echo none))"
      else die "no nix-daemon answers on $SOCKET: run scripts/nix-setup.sh"; fi ;;
    *) die "usage: $0 [setup|stop|status]" ;;
  esac
}

main "$@"
