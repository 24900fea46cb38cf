# A small build graph for the widget's terminal tests (issue 15): three leaves, two in the middle, one top.
#   top <- mid <- leaf-a, leaf-b
#       <- side <- leaf-c
# Args: nonce (rebuild every run), fail (the name whose builder exits 3), secs (each builder's sleep),
# chatty (log lines each builder prints at once before sleeping).
{ nonce ? "0", fail ? "", secs ? "2", chatty ? "0" }:
let
  mk = name: deps: builtins.derivation {
    name = "wdg-${name}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    inherit nonce deps;
    args = [ "-c" ''
      echo "@nix {\"action\":\"setPhase\",\"phase\":\"buildPhase\"}" >&2
      for d in $deps; do test -e "$d"; done
      i=0
      while [ $i -lt ${chatty} ]; do echo "chatter line $i of ${name}"; i=$((i+1)); done
      echo "building ${name}"
      sleep ${secs}
      ${if fail == name then ''echo "${name}: error: it fails" >&2; exit 3'' else ""}
      mkdir -p $out
      echo ${name} > $out/name
    '' ];
  };
  leaf-a = mk "leaf-a" [ ];
  leaf-b = mk "leaf-b" [ ];
  leaf-c = mk "leaf-c" [ ];
  mid = mk "mid" [ leaf-a leaf-b ];
  side = mk "side" [ leaf-c ];
in
mk "top" [ mid side ]
