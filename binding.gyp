{
  "targets": [
    {
      "target_name": "nestor_native",
      "sources": [
        "native/addon.cc",
        "native/hash.cc",
        "native/poll.cc",
        "native/raw_open.cc",
        "native/raw_rx.cc",
        "native/raw_tx.cc",
        "native/udp.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"
      ],
      "cflags": ["-fno-exceptions"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-fno-exceptions"]
    }
  ]
}
