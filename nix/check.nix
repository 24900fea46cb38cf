# Evaluates flake.nix, nix/package.nix, nix/module.nix and nix/tests/vm.nix without nixpkgs, which this
# project's CI does not have: a stub `lib` with just the functions these files call (same semantics where
# it matters, e.g. escapeShellArg), stub packages that return their arguments, and a miniature module
# evaluation (option defaults, type checks, mkIf). It checks what the files compute (the unit's command
# line, json-log-path, the source set, the lock entries), not nixpkgs' module system itself.
#
#   nix-instantiate --eval --strict --json nix/check.nix     (scripts/check-nix.sh)
let
  inherit (builtins)
    all attrNames compareVersions concatStringsSep elem filter functionArgs hasAttr intersectAttrs
    isAttrs isBool isFunction isInt isList isString length listToAttrs mapAttrs match pathExists
    readFile replaceStrings
    ;

  check = cond: msg: if cond then true else throw "nix/check.nix: ${msg}";
  checkAll = checks: all (c: c) checks;

  root = ../.;
  packageJson = builtins.fromJSON (readFile ../package.json);
  systems = [ "x86_64-linux" "aarch64-linux" ];

  lib = rec {
    importJSON = path: builtins.fromJSON (readFile path);
    genAttrs = names: f: listToAttrs (map (name: { inherit name; value = f name; }) names);
    optional = cond: x: if cond then [ x ] else [ ];
    optionals = cond: xs: if cond then xs else [ ];
    versionAtLeast = a: b: compareVersions a b >= 0;
    hasPrefix = pref: str: builtins.substring 0 (builtins.stringLength pref) str == pref;
    toLower = replaceStrings
      [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
      [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
    # As nixpkgs: quote only what needs quoting.
    escapeShellArg = arg:
      let s = toString arg;
      in if match "[[:alnum:],._+:@%/-]+" s != null then s else "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";
    escapeShellArgs = args: concatStringsSep " " (map escapeShellArg args);
    getExe = pkg: "${pkg.outPath}/bin/${pkg.meta.mainProgram}";
    mkForce = x: x;
    mkDefault = x: x;
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkOption = opt: opt // { _type = "option"; };
    mkEnableOption = name: mkOption { type = types.bool; default = false; description = "Whether to enable ${name}."; };
    types = {
      bool = { name = "bool"; check = isBool; };
      str = { name = "str"; check = isString; };
      package = { name = "package"; check = x: isAttrs x && x ? outPath; };
      nullOr = t: { name = "nullOr ${t.name}"; check = x: x == null || t.check x; };
      ints.between = lo: hi: { name = "int ${toString lo}-${toString hi}"; check = x: isInt x && x >= lo && x <= hi; };
    };
    # The fileset stub keeps the list of paths, so the checks below can see that each one exists.
    fileset = {
      unions = paths: filter (p: p != null) paths;
      maybeMissing = path: if pathExists path then path else null;
      toSource = { root, fileset }: { _type = "source"; inherit root; files = fileset; outPath = "/nix/store/stub-source"; };
    };
    licenses.mit = { spdxId = "MIT"; };
    platforms.linux = systems;
  };

  fakeDrv = name: { type = "derivation"; outPath = "/nix/store/00000000000000000000000000000000-${name}"; inherit name; };

  pkgsFor = system: pkgs;
  pkgs = rec {
    inherit lib;
    stdenv.hostPlatform.system = "x86_64-linux";
    callPackage = fn: overrides:
      let f = if isFunction fn then fn else import fn;
      in f (intersectAttrs (functionArgs f) pkgs // overrides);
    # buildNpmPackage: a derivation-shaped record of its arguments.
    buildNpmPackage = args: fakeDrv "${args.pname}-${args.version}" // { inherit args; inherit (args) meta; };
    importNpmLock = {
      __functor = _: args: { _type = "importNpmLock"; inherit args; };
      npmConfigHook = fakeDrv "npm-config-hook";
    };
    mkShell = args: fakeDrv "shell" // { inherit args; };
    testers.runNixOSTest = test: { _type = "nixosTest"; module = import test { inherit lib; }; };
    nodejs = fakeDrv "nodejs-22";
    python3 = fakeDrv "python3";
    installShellFiles = fakeDrv "install-shell-files";
    nix = fakeDrv "nix";
    tmux = fakeDrv "tmux";
    jq = fakeDrv "jq";
    nixfmt = fakeDrv "nixfmt";
    nixVersions.latest = fakeDrv "nix-2.31.0" // { version = "2.31.0"; };
  };

  # ---- the package ----
  pkg = pkgs.callPackage ./package.nix { };
  lock = pkg.args.npmDeps.args.packageLock;
  registryEntries = filter (k: k != "" && !(lock.packages.${k}.link or false)) (attrNames lock.packages);
  inFileset = p: elem (root + "/${p}") pkg.args.src.files;
  # package.json "files" that come from the source tree (dist/ is what the build makes).
  shippedSources = filter (f: f != "dist/" && (match "dist/.*" f == null) && (match "!.*" f == null)) packageJson.files;
  stripSlash = f: let m = match "(.*)/" f; in if m == null then f else builtins.head m;

  packageChecks = checkAll ([
    (check (pkg.args.pname == "nix-btm" && pkg.args.version == packageJson.version) "pname/version from package.json")
    (check (pkg.meta.mainProgram == "nix-btm") "meta.mainProgram")
    (check (pkg.args.npmConfigHook == pkgs.importNpmLock.npmConfigHook) "importNpmLock's npmConfigHook")
    (check (pkg.args.npmDeps.args.npmRoot == root) "importNpmLock npmRoot is the repository root")
    (check (elem pkgs.python3 pkg.args.nativeBuildInputs) "python3 for node-gyp")
    (check (!((pkg.args.env or { }) ? npm_config_nodedir)) "no npm_config_nodedir of our own: importNpmLock's hook sets it")
    (check (all pathExists pkg.args.src.files) "every source path exists")
    (check (all (k: match "https://registry.npmjs.org/.+\\.tgz" (lock.packages.${k}.resolved or "") != null) registryEntries)
      "every lock entry has a registry URL")
    (check (lock.packages."node_modules/@alcalzone/ansi-tokenize".resolved
      == "https://registry.npmjs.org/@alcalzone/ansi-tokenize/-/ansi-tokenize-${lock.packages."node_modules/@alcalzone/ansi-tokenize".version}.tgz")
      "scoped tarball URL")
    (check (match ".*build/Release/nix_btm_native.node.*" pkg.args.postInstall != null) "the built addon is installed")
    (check (match ".*installManPage.*" pkg.args.postInstall == null && packageJson.man == "./man/nix-btm.1")
      "the man page is installed once, by npmInstallHook from package.json's man")
  ] ++ map (f: check (inFileset (stripSlash f)) "package.json files entry ${f} is in the Nix source set") shippedSources);

  # ---- the module: a miniature evaluation ----
  resolve = v:
    if isAttrs v && (v._type or null) == "if" then (if v.condition then resolve v.content else null)
    else if isAttrs v && !(v ? outPath) then
      let r = mapAttrs (_: resolve) v; in listToAttrs (map (n: { name = n; value = r.${n}; }) (filter (n: r.${n} != null) (attrNames r)))
    else v;

  evalModule = { settings, nixVersion ? "2.31.0", nixPname ? "nix" }:
    let
      module = import ./module.nix { inherit lib pkgs config; };
      options = module.options.services.nix-btm;
      cfg = mapAttrs (n: o: settings.${n} or o.default) options;
      config = { services.nix-btm = cfg; nix.package = fakeDrv nixPname // { pname = nixPname; version = nixVersion; }; };
      typeChecks = checkAll (map (n: check (options.${n}.type.check cfg.${n}) "option ${n}: ${options.${n}.type.name}") (attrNames options)
        ++ map (n: check (hasAttr n options && !(options.${n}.readOnly or false)) "setting ${n} is a writable option") (attrNames settings));
    in
    assert typeChecks; let r = resolve module.config; in if r == null then { } else r;

  on = evalModule { settings = { enable = true; group = "wheel"; refresh = 500; }; };
  unit = on.systemd.services.nix-btm;
  onNoGroup = evalModule { settings = { enable = true; }; };
  onOldNix = evalModule { settings = { enable = true; }; nixVersion = "2.8.0"; };
  onOldNixForced = evalModule { settings = { enable = true; configureNix = true; }; nixVersion = "2.8.0"; };
  onLix = evalModule { settings = { enable = true; }; nixVersion = "2.93.3"; nixPname = "lix"; };
  onLixForced = evalModule { settings = { enable = true; configureNix = true; }; nixVersion = "2.93.3"; nixPname = "lix"; };
  socket = on.systemd.sockets.nix-btm;
  holds = config: all (a: a.assertion) config.assertions;

  moduleChecks = checkAll [
    (check (evalModule { settings = { }; } == { }) "disabled: no configuration at all")
    (check (on.nix.settings.json-log-path == "/run/nix-btm/nix-log.sock") "json-log-path names the daemon's socket")
    (check (unit.serviceConfig.ExecStart == "${pkg.outPath}/bin/nix-btm daemon --runtime-dir /run/nix-btm --refresh 500 --group wheel") "ExecStart")
    (check (onNoGroup.systemd.services.nix-btm.serviceConfig.ExecStart == "${pkg.outPath}/bin/nix-btm daemon --runtime-dir /run/nix-btm --refresh 1000") "ExecStart without a group")
    (check (unit.serviceConfig.RuntimeDirectory == "nix-btm" && unit.serviceConfig.Restart == "on-failure") "runtime dir, restart")
    (check (builtins.sort builtins.lessThan unit.serviceConfig.CapabilityBoundingSet
      == [ "CAP_CHOWN" "CAP_DAC_READ_SEARCH" "CAP_KILL" "CAP_SYS_PTRACE" ]) "may signal builders and read their /proc (tests/e2e/capabilities.test.ts runs with this set)")
    (check (socket.listenStreams == [ "/run/nix-btm/nix-log.sock" ] && socket.socketConfig.FileDescriptorName == "nix-log"
      && socket.socketConfig.SocketMode == "0666" && elem "nix-btm.socket" unit.requires) "the log socket is a socket unit, named for LISTEN_FDNAMES")
    (check (unit.serviceConfig.RuntimeDirectoryPreserve == "yes") "the runtime dir (holding the socket unit's socket) outlives a daemon stop")
    (check (length onLix.warnings == 1 && (onLix.nix or { }) == { } && holds onLix) "Lix 2.9x: no json-log-path, with a warning")
    (check (!(holds onLixForced)) "Lix with configureNix = true: an assertion fails")
    (check (unit.serviceConfig.ProtectProc == "default" && unit.serviceConfig.ProcSubset == "all") "every process visible")
    (check (on.users.groups ? wheel && (onNoGroup.users or { }) == { }) "the socket group is created only when set")
    (check (on.warnings == [ ] && holds on) "no warning, assertions hold")
    (check (length onOldNix.warnings == 1 && (onOldNix.nix or { }) == { } && holds onOldNix) "Nix < 2.30: json-log-path left out, with a warning")
    (check (!(holds onOldNixForced)) "Nix < 2.30 with configureNix = true: an assertion fails")
    (check (((evalModule { settings = { enable = true; configureNix = false; }; }).nix or { }) == { }) "configureNix = false leaves nix.conf alone")
  ];

  # ---- the flake, against a stub nixpkgs input ----
  flake = import ../flake.nix;
  outputs = flake.outputs { self = outputs; nixpkgs = { inherit lib; legacyPackages = lib.genAttrs systems pkgsFor; }; };
  vmTest = outputs.checks.x86_64-linux.vm.module;
  vmMachine = vmTest.nodes.machine { inherit pkgs; };

  flakeChecks = checkAll [
    (check (flake.inputs.nixpkgs.url == "github:NixOS/nixpkgs/nixos-unstable") "nixpkgs input")
    (check (outputs.packages.x86_64-linux.default.name == "nix-btm-${packageJson.version}") "packages.default")
    (check (outputs.apps.x86_64-linux.default == { type = "app"; program = "${pkg.outPath}/bin/nix-btm"; }) "apps.default runs bin/nix-btm")
    (check (outputs.devShells.x86_64-linux.default.args.inputsFrom == [ outputs.packages.x86_64-linux.default ]) "devShell")
    (check (outputs.nixosModules.default == ./module.nix) "nixosModules.default")
    (check (attrNames outputs.packages == builtins.sort builtins.lessThan systems) "systems")
    (check (vmTest.name == "nix-btm" && isString vmTest.testScript) "the VM test's shape")
    (check (vmMachine.imports == [ ./module.nix ]) "the VM test imports the module")
    (check ((evalModule { settings = vmMachine.services.nix-btm; }).nix.settings.json-log-path == "/run/nix-btm/nix-log.sock")
      "the VM test's settings type-check against the module")
  ];
in
assert packageChecks && moduleChecks && flakeChecks;
{
  # What scripts/check-nix.sh uses further: run the unit's command, build the VM test's probe with local Nix.
  execStart = unit.serviceConfig.ExecStart;
  packageOut = pkg.outPath;
  probe = vmMachine.environment.etc."nix-btm-probe.nix".text;
  lockEntries = length registryEntries;
  sample = {
    "ink" = lock.packages."node_modules/ink".resolved;
    "@alcalzone/ansi-tokenize" = lock.packages."node_modules/@alcalzone/ansi-tokenize".resolved;
  };
}
