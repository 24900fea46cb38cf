# NixOS VM test: the service starts behind its socket unit, Nix writes its log to that socket, and the daemon sees
# root's local-store build (no log stream at all: legacy nix-build on the local store never opens json-log-path,
# so only /proc and the store witness it) and a user's builds through nix-daemon workers (nix-build and the new
# CLI), through to "built"; a daemon restart loses nothing, since the socket stays.
#
#   nix flake check                      # or: nix build .#checks.x86_64-linux.vm
#   nix-build -E 'with import <nixpkgs> { }; testers.runNixOSTest ./nix/tests/vm.nix'
#
# Needs nixpkgs and KVM; it cannot run in this project's CI, which has neither. There, scripts/check-nix.sh
# evaluates it against stubs and builds its probe derivation with the local Nix, through `nix-btm run`.
{ lib, ... }:

let
  # No nixpkgs inside the VM and no network: a derivation built from /bin/sh alone (Nix's sandbox shell).
  # It runs long enough for a /proc scan to find its builder.
  probe = ''
    { nonce }:
    derivation {
      name = "nix-btm-probe";
      system = builtins.currentSystem;
      builder = "/bin/sh";
      # The sandbox has /bin/sh and nothing else (no sleep): each tick is a busy loop of about a second.
      args = [ "-c" "echo building $nonce; for t in 1 2 3 4; do i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done; echo tick $t; done; echo ok > $out" ];
      inherit nonce;
    }
  '';
in
{
  name = "nix-btm";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ ../module.nix ];

      services.nix-btm = {
        enable = true;
        group = "wheel";
        refresh = 200;
      };

      # json-log-path needs Nix >= 2.30.
      nix.package = pkgs.nixVersions.latest;
      nix.settings.substituters = lib.mkForce [ ];

      users.users.alice = {
        isNormalUser = true;
        extraGroups = [ "wheel" ];
      };

      environment.systemPackages = [ pkgs.jq ];
      environment.etc."nix-btm-probe.nix".text = probe;
    };

  testScript = ''
    import json

    def status(user=None):
        cmd = "nix-btm status --json --log-lines 20 --runtime-dir /run/nix-btm"
        if user:
            cmd = f"su - {user} -c '{cmd}'"
        return json.loads(machine.succeed(cmd))

    def built(doc, nonce):
        return [d for d in doc["derivations"] if d["name"] == "nix-btm-probe" and d["status"] == "built"
                and any(nonce in line for line in d["logTail"])]

    machine.wait_for_unit("nix-btm.service")
    machine.wait_for_file("/run/nix-btm/nix-log.sock")
    machine.succeed("grep -qx 'json-log-path = /run/nix-btm/nix-log.sock' /etc/nix/nix.conf")

    with subtest("root's local-store nix-build: no stream; its builder tied from /proc and the store, built by the store"):
        machine.succeed("nix-build /etc/nix-btm-probe.nix --argstr nonce root-1 --no-out-link >&2 &")
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm"
            " | jq -e '.processes[] | select(.role == \"builder\" and .drvPath != null)'"
        )
        doc = status()
        local = [s for s in doc["sources"] if s["via"] == "local"]
        assert local and local[0]["command"].startswith("a local build by root, pid "), f"no local job: {doc['sources']}"
        assert not [s for s in doc["sources"] if s["via"] == "socket"], "a legacy local-store client opened json-log-path?"
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm"
            " | jq -e '.derivations[] | select(.name == \"nix-btm-probe\" and .status == \"built\" and .confirmed)'"
        )

    with subtest("a user's nix-build goes through a nix-daemon worker and is seen; the group may read it"):
        machine.succeed("su - alice -c 'nix-build /etc/nix-btm-probe.nix --argstr nonce alice-1 --no-out-link' >&2")
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm | jq -e '.derivations | length >= 2'"
        )
        assert built(status("alice"), "alice-1"), "the daemon did not see alice's build"

    with subtest("the new CLI: nix build streams itself (with the plan) besides its worker"):
        machine.succeed(
            "su - alice -c 'nix --extra-experimental-features nix-command build -f /etc/nix-btm-probe.nix"
            " --argstr nonce alice-2 --no-link' >&2"
        )
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm"
            " | jq -e '.sources[] | select(.command | test(\"nix.* build -f\"))'"
        )
        assert built(status("alice"), "alice-2"), "the daemon did not see alice's nix build"

    with subtest("SIGTERM cleans up the daemon's files; the socket unit keeps the log socket"):
        machine.succeed("systemctl stop nix-btm.service")
        machine.fail("test -e /run/nix-btm/control.sock")
        machine.succeed("test -S /run/nix-btm/nix-log.sock")
        # A build while the daemon is down connects to the socket unit's socket, which starts the daemon again.
        machine.succeed("su - alice -c 'nix-build /etc/nix-btm-probe.nix --argstr nonce alice-3 --no-out-link' >&2")
        machine.wait_for_unit("nix-btm.service")
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm | jq -e '.daemon.socketActivated'"
        )
        assert built(status("alice"), "alice-3"), "the build made while the daemon was down was lost"
  '';
}
