# nix-btm, built from this checkout: the TypeScript (tsc) and the N-API addon (node-gyp), both in the sandbox.
{
  lib,
  buildNpmPackage,
  importNpmLock,
  nodejs,
  python3,
}:

let
  # The lock file is the single source of the dependency set: importNpmLock fetches each entry by its
  # integrity hash, so no npmDepsHash has to be kept in step with package-lock.json.
  packageLock = (import ./npm-lock.nix).withResolved (lib.importJSON ../package-lock.json);
  packageJson = lib.importJSON ../package.json;
in
buildNpmPackage {
  pname = packageJson.name;
  inherit (packageJson) version;

  # Only what the build reads, so editing tests or docs does not rebuild the package.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../package.json
      ../package-lock.json
      ../tsconfig.json
      ../tsconfig.build.json
      ../binding.gyp
      ../scripts/install-addon.mjs
      ../bin
      ../native
      ../src
      ../man
      (lib.fileset.maybeMissing ../demo)
    ];
  };

  # nixpkgs' default Node (engines: >= 20). importNpmLock's hook is built against it, so the headers
  # node-gyp compiles with and the node that loads the addon agree.
  inherit nodejs;

  npmDeps = importNpmLock {
    npmRoot = ../.;
    inherit packageLock;
  };
  npmConfigHook = importNpmLock.npmConfigHook;

  # node-gyp runs python3. It finds Node's headers through npm_config_nodedir, which importNpmLock's
  # npmConfigHook sets (the sandbox has no network to download them).
  nativeBuildInputs = [ python3 ];

  # `npm run build` = node-gyp rebuild (build/Release/nix_btm_native.node) && tsc (dist/src).
  npmBuildScript = "build";

  # npm's install step copies only package.json "files", which ship the addon's sources (npm users build it
  # at install time), not build/: put the addon built above where src/addon/native.ts looks for it.
  postInstall = ''
    install -Dm444 build/Release/nix_btm_native.node \
      "$out/lib/node_modules/nix-btm/build/Release/nix_btm_native.node"
  '';
  # The man page: npmInstallHook installs package.json's "man" entry (man/nix-btm.1) into share/man itself.

  meta = {
    description = packageJson.description;
    license = lib.licenses.mit;
    mainProgram = "nix-btm";
    # /proc, SO_PEERCRED and futexes: Linux only.
    platforms = lib.platforms.linux;
  };
}
