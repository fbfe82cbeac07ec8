/*
 * sanbox_rbd built without librbd: binding.gyp found no <rbd/librbd.h> (Debian's
 * librbd-dev) when `npm install` ran. The module loads and says so, and sanbox refuses
 * rbd pools with that reason; install librbd-dev and run `npx node-gyp rebuild`.
 */
#include <node_api.h>

static napi_value init(napi_env env, napi_value exports) {
  napi_value no, reason;
  napi_get_boolean(env, false, &no);
  napi_create_string_utf8(env,
      "sanbox_rbd was built without librbd (no <rbd/librbd.h> at npm install): install librbd-dev "
      "(apt-get install librbd-dev) and run `npx node-gyp rebuild`",
      NAPI_AUTO_LENGTH, &reason);
  napi_set_named_property(env, exports, "available", no);
  napi_set_named_property(env, exports, "reason", reason);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
