{
  description = "nix-btm: htop for Nix. Every Nix build on this machine, live, in one terminal dashboard";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      # The daemon reads /proc and the addon uses Linux futexes: Linux only.
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (pkgs: {
        default = self.packages.${pkgs.stdenv.hostPlatform.system}.nix-btm;
        nix-btm = pkgs.callPackage ./nix/package.nix { };
      });

      # `nix run github:<owner>/<repo>` opens the dashboard; `nix run ... -- daemon` etc. for the rest.
      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = nixpkgs.lib.getExe self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };
      });

      # What `npm ci && npm test` needs: Node, node-gyp's python and compiler, and Nix itself for the e2e tests.
      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = [
            pkgs.nix
            pkgs.tmux
          ];
        };
      });

      # The module builds the package with the system's own nixpkgs (pkgs.callPackage ./nix/package.nix),
      # so it works the same whether imported from this flake or from a plain checkout.
      nixosModules.default = ./nix/module.nix;

      # `nix flake check` runs the VM test (it needs KVM; see nix/tests/vm.nix).
      checks = forAllSystems (pkgs: {
        vm = pkgs.testers.runNixOSTest ./nix/tests/vm.nix;
      });

      # nixfmt (the RFC 166 style); `nixfmt-rfc-style` is now a deprecated alias of it.
      formatter = forAllSystems (pkgs: pkgs.nixfmt);
    };
}
