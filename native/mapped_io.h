/* Mapped I/O for file backstores (mapped_io.c): adds mapOpen, mapCopyIn, mapResize, mapClose. */
#ifndef SANBOX_MAPPED_IO_H
#define SANBOX_MAPPED_IO_H
#include <node_api.h>
void mapped_io_export(napi_env env, napi_value exports);
#endif
