/*
 * sanbox_native: the few file-system calls Node does not expose, for thin provisioning.
 *
 *   punchHole(fd, offset, length)  fallocate(PUNCH_HOLE|KEEP_SIZE): return space to the fs
 *   punchHoleAsync(fd, offset, length) -> Promise<void>: the same on the libuv thread pool,
 *                                  so a large UNMAP never stalls the event loop
 *   seekData(fd, offset)           lseek(SEEK_DATA), -1 when no data follows (ENXIO)
 *   seekHole(fd, offset)           lseek(SEEK_HOLE)
 *   seekEnd(fd)                    lseek(SEEK_END): size of a block device
 *   tuneMalloc(arenas, mmap, trim) glibc mallopt, so large-I/O bursts give memory back
 *   trimMalloc()                   malloc_trim(0)
 *   preadNowait(fd, buf, offset)   preadv2(RWF_NOWAIT): a page-cache hit without the pool
 *   crc32c(buf, crc, start, end)   CRC32C of buf[start, end) continuing `crc`, with the CPU's
 *                                  instruction (SSE 4.2 crc32q / ARMv8 crc32cx); present only
 *                                  when the CPU has it (checked at load), with crc32cHw naming it
 *
 * Plain node_api.h, no node-addon-api, so the build needs nothing but node-gyp and a C
 * compiler. Failures throw an Error whose `code` is the errno name (EOPNOTSUPP, EIO, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <malloc.h>
#include <sys/uio.h>
#include <node_api.h>

static const char *errno_name(int e) {
  switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOSPC: return "ENOSPC";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EFBIG: return "EFBIG";
    case EROFS: return "EROFS";
    case ESPIPE: return "ESPIPE";
    case EINTR: return "EINTR";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOMEM: return "ENOMEM";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e) {
  napi_throw_error(env, errno_name(e), strerror(e));
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, int64_t *out) {
  napi_value argv[3];
  size_t argc = 3;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "EINVAL", "wrong number of arguments");
    return -1;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_int64(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, "EINVAL", "arguments must be numbers");
      return -1;
    }
  }
  return 0;
}

static napi_value number(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value punch_hole(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (get_args(env, info, 3, a)) return NULL;
  if (a[2] == 0) return number(env, 0);
  int rc;
  do {
    rc = fallocate((int)a[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)a[1], (off_t)a[2]);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return throw_errno(env, errno);
  return number(env, 0);
}

/* ---- punchHoleAsync: napi_async_work + promise ------------------------------------ */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  off_t offset;
  off_t length;
  int err;
} punch_req;

static void punch_execute(napi_env env, void *data) {
  (void)env;
  punch_req *r = (punch_req *)data;
  int rc;
  r->err = 0;
  if (r->length == 0) return;
  do {
    rc = fallocate(r->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, r->offset, r->length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) r->err = errno;
}

static void punch_complete(napi_env env, napi_status status, void *data) {
  punch_req *r = (punch_req *)data;
  if (status == napi_ok && r->err == 0) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, r->deferred, undef);
  } else {
    int e = r->err ? r->err : EIO;
    napi_value code, msg, error;
    napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, r->deferred, error);
  }
  napi_delete_async_work(env, r->work);
  free(r);
}

static napi_value punch_hole_async(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (get_args(env, info, 3, a)) return NULL;
  punch_req *r = (punch_req *)calloc(1, sizeof(punch_req));
  if (!r) return throw_errno(env, ENOMEM);
  r->fd = (int)a[0];
  r->offset = (off_t)a[1];
  r->length = (off_t)a[2];
  napi_value promise, name;
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    free(r);
    return throw_errno(env, ENOMEM);
  }
  napi_create_string_utf8(env, "sanbox.punchHole", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, punch_execute, punch_complete, r, &r->work) != napi_ok ||
      napi_queue_async_work(env, r->work) != napi_ok) {
    /* The promise was created; reject it rather than leak a pending one. */
    napi_value code, msg, error;
    napi_create_string_utf8(env, "EIO", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, "cannot queue async work", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &error);
    napi_reject_deferred(env, r->deferred, error);
    free(r);
  }
  return promise;
}

static napi_value seek_whence(napi_env env, napi_callback_info info, int whence) {
  int64_t a[2];
  if (get_args(env, info, 2, a)) return NULL;
  off_t r = lseek((int)a[0], (off_t)a[1], whence);
  if (r < 0) {
    if (errno == ENXIO) return number(env, -1);
    return throw_errno(env, errno);
  }
  return number(env, (int64_t)r);
}

static napi_value seek_data(napi_env env, napi_callback_info info) { return seek_whence(env, info, SEEK_DATA); }
static napi_value seek_hole(napi_env env, napi_callback_info info) { return seek_whence(env, info, SEEK_HOLE); }

static napi_value seek_end(napi_env env, napi_callback_info info) {
  int64_t a[1];
  if (get_args(env, info, 1, a)) return NULL;
  off_t r = lseek((int)a[0], 0, SEEK_END);
  if (r < 0) return throw_errno(env, errno);
  return number(env, (int64_t)r);
}

/*
 * tuneMalloc(arenaMax, mmapThreshold, trimThreshold) -> boolean: glibc mallopt. Node's
 * ArrayBuffers (socket chunks, I/O buffers) come from malloc; with glibc's defaults a
 * burst of large I/O leaves tens of MiB in per-thread arenas and an untrimmed heap
 * (idle RSS 105 -> 144 MiB after one 1 GiB 128K write pass). Fixed thresholds (which also
 * stop glibc raising them dynamically) and few arenas give that memory back.
 */
static napi_value tune_malloc(napi_env env, napi_callback_info info) {
  int64_t a[3];
  if (get_args(env, info, 3, a)) return NULL;
  int ok = 1;
  if (a[0] > 0) ok &= mallopt(M_ARENA_MAX, (int)a[0]);
  if (a[1] > 0) ok &= mallopt(M_MMAP_THRESHOLD, (int)a[1]);
  if (a[2] > 0) ok &= mallopt(M_TRIM_THRESHOLD, (int)a[2]);
  napi_value r;
  napi_get_boolean(env, ok != 0, &r);
  return r;
}

/* trimMalloc() -> boolean: malloc_trim(0), returns free heap pages to the system. */
static napi_value trim_malloc(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_get_boolean(env, malloc_trim(0) != 0, &r);
  return r;
}

/*
 * preadNowait(fd, buf, offset) -> bytes read, or -1 when the data is not in the page cache
 * (preadv2 RWF_NOWAIT: EAGAIN, never blocks), or -2 when the kernel or file system does not
 * support it. A short count is a partial hit (or the end of the file). Other errors throw.
 * Lets a read served from page cache complete on the calling thread instead of a round
 * trip through the libuv pool (futex wake-up, context switches, async wake-up back).
 */
static napi_value pread_nowait(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  int64_t fd, offset;
  napi_typedarray_type type;
  size_t length, byte_offset;
  void *data;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int64(env, argv[0], &fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &byte_offset) != napi_ok ||
      type != napi_uint8_array ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || offset < 0) {
    napi_throw_type_error(env, "EINVAL", "preadNowait(fd, Uint8Array, offset)");
    return NULL;
  }
#ifdef RWF_NOWAIT
  struct iovec iov = { data, length };
  ssize_t n = preadv2((int)fd, &iov, 1, (off_t)offset, RWF_NOWAIT);
  if (n >= 0) return number(env, (int64_t)n);
  if (errno == EAGAIN) return number(env, -1);
  if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) return number(env, -2);
  return throw_errno(env, errno);
#else
  (void)data; (void)length;
  return number(env, -2);
#endif
}

/*
 * ---- crc32c: iSCSI header and data digests (RFC 7143 11.1) ---------------------------
 * The instruction is used through a per-function target attribute, not a global -msse4.2,
 * so the addon still loads (and everything else in it works) on a CPU without it: init()
 * asks the CPU (cpuid leaf 1 ECX.SSE4_2 / AT_HWCAP HWCAP_CRC32) and only then exports
 * crc32c, and the JavaScript slicing-by-8 in src/iscsi/crc32c.ts stays in charge otherwise.
 * The running value is the finished CRC of the bytes before (0 to start), as in the JS.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define CRC_HW_NAME "sse4.2"
static int crc_hw_available(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  return (c & bit_SSE4_2) != 0;
}
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  uint32_t c = ~crc;
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    c = _mm_crc32_u8(c, *p++);
    n--;
  }
#if defined(__x86_64__)
  uint64_t c64 = c;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c64 = _mm_crc32_u64(c64, v);
  }
  c = (uint32_t)c64;
#endif
  for (; n >= 4; p += 4, n -= 4) {
    uint32_t v;
    memcpy(&v, p, 4);
    c = _mm_crc32_u32(c, v);
  }
  while (n-- > 0) c = _mm_crc32_u8(c, *p++);
  return ~c;
}
#define HAVE_CRC_HW 1
#elif defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#define CRC_HW_NAME "armv8-crc"
static int crc_hw_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }
#if defined(__clang__)
#define CRC_TARGET __attribute__((target("crc")))
#else
#define CRC_TARGET __attribute__((target("+crc")))
#endif
CRC_TARGET static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  uint32_t c = ~crc;
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    c = __crc32cb(c, *p++);
    n--;
  }
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __crc32cd(c, v);
  }
  while (n-- > 0) c = __crc32cb(c, *p++);
  return ~c;
}
#define HAVE_CRC_HW 1
#endif

#ifdef HAVE_CRC_HW
/* crc32c(buf: Uint8Array, crc: uint32, start, end) -> uint32; all four arguments required. */
static napi_value crc32c_fn(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  napi_typedarray_type type;
  size_t length, byte_offset;
  void *data;
  napi_value ab;
  uint32_t crc, start, end;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &byte_offset) != napi_ok ||
      type != napi_uint8_array || napi_get_value_uint32(env, argv[1], &crc) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &start) != napi_ok || napi_get_value_uint32(env, argv[3], &end) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "crc32c(Uint8Array, crc, start, end)");
    return NULL;
  }
  if (start > end || end > length) {
    napi_throw_range_error(env, "ERANGE", "crc32c: start/end outside the buffer");
    return NULL;
  }
  napi_value r;
  napi_create_uint32(env, crc32c_hw(crc, (const uint8_t *)data + start, end - start), &r);
  return r;
}
#endif

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"punchHole", NULL, punch_hole, NULL, NULL, NULL, napi_enumerable, NULL},
    {"punchHoleAsync", NULL, punch_hole_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekEnd", NULL, seek_end, NULL, NULL, NULL, napi_enumerable, NULL},
    {"tuneMalloc", NULL, tune_malloc, NULL, NULL, NULL, napi_enumerable, NULL},
    {"trimMalloc", NULL, trim_malloc, NULL, NULL, NULL, napi_enumerable, NULL},
    {"preadNowait", NULL, pread_nowait, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
#ifdef HAVE_CRC_HW
  if (crc_hw_available()) {
    napi_value name;
    napi_create_string_utf8(env, CRC_HW_NAME, NAPI_AUTO_LENGTH, &name);
    napi_property_descriptor crc[] = {
      {"crc32c", NULL, crc32c_fn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crc32cHw", NULL, NULL, NULL, NULL, name, napi_enumerable, NULL},
    };
    napi_define_properties(env, exports, 2, crc);
  }
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
