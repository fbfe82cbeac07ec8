{
  "targets": [
    {
      "target_name": "sanbox_native",
      "sources": ["native/sanbox_native.c"],
      "cflags": ["-Wall", "-O2"]
    }
  ]
}
