# Fills in the registry URL of every package-lock.json entry that lacks one.
#
# npm leaves out `resolved` when `omit-lockfile-registry-resolved` is set (it is on the machines
# this project is developed on), but importNpmLock fetches each package from its `resolved` URL
# and silently skips entries without one, so the offline `npm install` in the sandbox would fail.
# The URL of a registry tarball follows from the name and version alone, and `integrity` (kept by
# npm either way) pins its content, so nothing here has to be kept in step with the lock file.
#
# Builtins only (no nixpkgs lib), so scripts/check-nix.sh can evaluate it against the real lock.
let
  registry = "https://registry.npmjs.org";

  # "node_modules/a/node_modules/@s/b" -> "@s/b": the last node_modules/ segment is the name.
  nameOf = key: entry:
    entry.name or (
      let parts = builtins.split "node_modules/" key;
      in builtins.elemAt parts (builtins.length parts - 1)
    );

  # "@s/b" -> "b": scoped tarballs are named after the bare name.
  bareName = name:
    let m = builtins.match "@[^/]+/(.+)" name;
    in if m == null then name else builtins.head m;

  tarballUrl = name: version: "${registry}/${name}/-/${bareName name}-${version}.tgz";

  # The root (""), workspace links and local folders have no tarball; a registry package has
  # a version and an integrity hash.
  fromRegistry = key: entry:
    key != "" && !(entry.link or false) && entry ? version && entry ? integrity;

  withResolved = lock: lock // {
    packages = builtins.mapAttrs
      (key: entry:
        if entry ? resolved || !(fromRegistry key entry) then entry
        else entry // { resolved = tarballUrl (nameOf key entry) entry.version; })
      lock.packages;
  };
in
{
  inherit withResolved tarballUrl nameOf;
}
