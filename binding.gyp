{
  "targets": [
    {
      "target_name": "sanbox_native",
      "sources": ["native/sanbox_native.c"],
      "cflags": ["-Wall", "-O2"]
    },
    {
      "target_name": "sanbox_rbd",
      "variables": {
        "has_librbd": "<!(sh native/rbd/probe.sh)"
      },
      "cflags": ["-Wall", "-O2"],
      "conditions": [
        ["has_librbd==1", {
          "sources": ["native/rbd/sanbox_rbd.c"],
          "libraries": ["-lrbd", "-lrados"]
        }, {
          "sources": ["native/rbd/stub.c"]
        }]
      ]
    }
  ]
}
