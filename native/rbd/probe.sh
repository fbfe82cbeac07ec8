#!/bin/sh
# Prints 1 when librbd's and librados' headers compile here (librbd-dev), else 0.
# SANBOX_RBD=0 forces the stub (to check a build without Ceph on a machine that has it).
[ "${SANBOX_RBD:-}" = 0 ] && { echo 0; exit 0; }
printf '#include <rados/librados.h>\n#include <rbd/librbd.h>\n' | ${CC:-cc} -E -x c - >/dev/null 2>&1 && echo 1 || echo 0
