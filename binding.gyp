{
  "targets": [
    {
      "target_name": "nix_btm_native",
      "sources": [
        "native/addon.cc",
        "native/ring_writer.cc",
        "native/ring_reader.cc",
        "native/block_reader.cc",
        "native/waiter.cc",
        "native/uring.cc",
        "native/loop_wait.cc",
        "native/ring_writer_addon.cc",
        "native/ring_reader_addon.cc",
        "native/peer_addon.cc",
        "native/sched_addon.cc",
        "native/slices.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-invalid-offsetof"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-pthread"]
    }
  ]
}
