# services.nix-btm: the nix-btm daemon as a system service, and Nix pointed at its log socket.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.nix-btm;

  # systemd's RuntimeDirectory: created before start, removed after stop; the daemon's --runtime-dir.
  runtimeDir = "/run/nix-btm";
  logSocket = "${runtimeDir}/nix-log.sock";

  # Lix calls itself 2.9x but has no json-log-path at all (its settings stop before it): never set it there.
  nixName = lib.toLower (config.nix.package.pname or (config.nix.package.name or ""));
  isLix = lib.hasPrefix "lix" nixName;
  hasJsonLogPath = !isLix && lib.versionAtLeast config.nix.package.version "2.30";
  nixDescription = "${if isLix then "Lix" else "Nix"} ${config.nix.package.version}";
in
{
  options.services.nix-btm = {
    enable = lib.mkEnableOption "the nix-btm daemon, which collects every Nix build on this machine for `nix-btm`";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The nix-btm package.";
    };

    group = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "wheel";
      description = ''
        Group whose members may run the `nix-btm` dashboard against the daemon (its control socket and
        event ring are made group-readable). `null`: root only. The group is created if it does not exist.
      '';
    };

    refresh = lib.mkOption {
      type = lib.types.ints.between 100 3600000;
      default = 1000;
      description = "Milliseconds between two scans of /proc for Nix and builder processes.";
    };

    configureNix = lib.mkOption {
      type = lib.types.bool;
      # Older Nix and Lix reject the unknown setting when NixOS checks nix.conf at build time.
      default = hasJsonLogPath;
      defaultText = lib.literalExpression ''
        !(lib.hasPrefix "lix" (lib.toLower (config.nix.package.pname or config.nix.package.name)))
          && lib.versionAtLeast config.nix.package.version "2.30"'';
      description = ''
        Set `nix.settings.json-log-path` to the daemon's socket (${logSocket}), so every Nix client and every
        nix-daemon worker reports its builds. Needs Nix >= 2.30 (Lix, whatever its version, has no such
        setting); otherwise run builds through `nix-btm run -- <nix command>`.
      '';
    };

    logSocket = lib.mkOption {
      type = lib.types.str;
      default = logSocket;
      readOnly = true;
      description = "The socket Nix's json-log-path must name (read-only).";
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];

    nix.settings = lib.mkIf cfg.configureNix { json-log-path = logSocket; };

    assertions = [
      {
        assertion = cfg.configureNix -> hasJsonLogPath;
        message = "services.nix-btm.configureNix: ${nixDescription} has no json-log-path (needs Nix >= 2.30; Lix has none).";
      }
    ];

    warnings = lib.optional (!cfg.configureNix) ''
      services.nix-btm: json-log-path is not set (${nixDescription}); builds show in nix-btm only
      when run through `nix-btm run -- <nix command>`.
    '';

    users.groups = lib.mkIf (cfg.group != null) { ${cfg.group} = { }; };

    # The log socket belongs to systemd (socket activation): it exists from early boot and across daemon
    # restarts, so Nix never finds the path empty and never creates a regular file there instead. Writes made
    # while the daemon restarts wait in the socket's queue (Nix blocks, briefly) rather than being lost.
    systemd.sockets.nix-btm = {
      description = "nix-btm log socket (Nix's json-log-path)";
      wantedBy = [ "sockets.target" ];
      before = [ "nix-daemon.socket" "nix-daemon.service" ];
      listenStreams = [ logSocket ];
      socketConfig = {
        # Every user's `nix` writes its log here (input only; the daemon checks each peer with SO_PEERCRED).
        SocketMode = "0666";
        DirectoryMode = "0755";
        # The daemon looks for this name in LISTEN_FDNAMES.
        FileDescriptorName = "nix-log";
        Service = "nix-btm.service";
      };
    };

    systemd.services.nix-btm = {
      description = "nix-btm daemon: every Nix build on this machine";
      wantedBy = [ "multi-user.target" ];
      requires = [ "nix-btm.socket" ];
      after = [ "nix-btm.socket" ];
      # Up before nix-daemon, so its first workers find the log socket.
      before = [ "nix-daemon.service" ];
      # nix-store --check-validity confirms builds by their outputs.
      path = [ config.nix.package ];
      environment = {
        # The store is read-only here (ProtectSystem): ask nix-daemon rather than open the database.
        NIX_REMOTE = "daemon";
      };

      serviceConfig = {
        Type = "simple";
        ExecStart = lib.escapeShellArgs (
          [
            (lib.getExe cfg.package)
            "daemon"
            "--runtime-dir"
            runtimeDir
            "--refresh"
            (toString cfg.refresh)
          ]
          ++ lib.optionals (cfg.group != null) [
            "--group"
            cfg.group
          ]
        );
        # The daemon removes its control socket and ring on SIGTERM; the directory stays, since the log
        # socket in it is nix-btm.socket's.
        RuntimeDirectory = "nix-btm";
        RuntimeDirectoryPreserve = "yes";
        # 0755: the sockets carry their own modes (the log socket 0666, the control socket 0600/0660),
        # and the daemon refuses a directory that group or others can write.
        RuntimeDirectoryMode = "0755";
        # The build history (/var/lib/nix-btm/history.sqlite, the daemon's default for root): kept across restarts,
        # writable under ProtectSystem=strict; 0700: it names every user's builds, read through the control socket.
        StateDirectory = "nix-btm";
        StateDirectoryMode = "0700";
        Restart = "on-failure";
        RestartSec = 2;

        # Root, because it must read every build user's /proc/PID/{environ,fd} and signal their builders;
        # but only with the capabilities that needs. Reading another user's /proc/PID/environ takes both
        # ptrace access (CAP_SYS_PTRACE) and the file's own permission check (0400, owner only):
        # without CAP_DAC_READ_SEARCH root gets "Permission denied" (tests/e2e/capabilities.test.ts).
        CapabilityBoundingSet = [
          "CAP_KILL" # signal builders and clients of other users (checked per request against the peer)
          "CAP_SYS_PTRACE" # ptrace-access to other users' /proc/PID/environ and /proc/PID/fd
          "CAP_DAC_READ_SEARCH" # pass those files' owner-only permission checks
          "CAP_CHOWN" # give the control socket and the ring to `group`
        ];
        NoNewPrivileges = true;
        # Every process must stay visible: not "invisible"/"ptraceable", and all of /proc (stat, meminfo, loadavg).
        ProtectProc = "default";
        ProcSubset = "all";
        ProtectSystem = "strict";
        ProtectHome = "read-only";
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        # Read-only is enough: builders are found through their cgroups, never moved.
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        # Unix sockets only: the log socket, the control socket, nix-daemon's socket.
        RestrictAddressFamilies = [ "AF_UNIX" ];
        SystemCallArchitectures = "native";
        SystemCallFilter = [ "@system-service" ];
        # V8 compiles JavaScript to machine code at run time.
        MemoryDenyWriteExecute = false;
        UMask = "0022";
      };
    };
  };
}
