# NixOS VM test: the service starts, Nix writes its log to the daemon's socket, and the daemon sees a build
# by root (a local-store client) and one by a user (through a nix-daemon worker), through to "built".
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

    with subtest("root's build (local store client) is seen, builder process included"):
        machine.succeed("nix-build /etc/nix-btm-probe.nix --argstr nonce root-1 --no-out-link >&2 &")
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm | jq -e '.processes[] | select(.drvPath != null)'"
        )
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm"
            " | jq -e '.derivations[] | select(.name == \"nix-btm-probe\" and .status == \"built\")'"
        )
        assert built(status(), "root-1"), "the daemon did not see root's build"

    with subtest("a user's build goes through a nix-daemon worker and is seen; the group may read it"):
        machine.succeed("su - alice -c 'nix-build /etc/nix-btm-probe.nix --argstr nonce alice-1 --no-out-link' >&2")
        machine.wait_until_succeeds(
            "nix-btm status --json --runtime-dir /run/nix-btm | jq -e '.derivations | length >= 2'"
        )
        assert built(status("alice"), "alice-1"), "the daemon did not see alice's build"

    with subtest("SIGTERM cleans up"):
        machine.succeed("systemctl stop nix-btm.service")
        machine.fail("test -e /run/nix-btm/nix-log.sock")
        machine.succeed("systemctl start nix-btm.service")
        machine.wait_for_file("/run/nix-btm/nix-log.sock")
  '';
}
