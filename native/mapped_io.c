/*
 * Mapped writes for file backstores: an image mapped MAP_SHARED, so a write to cached pages
 * is a memcpy from a Buffer into the page cache on the calling thread, not a pwrite.
 *
 * Why: on ext4 a 4 KiB buffered pwrite at a random offset costs ~20-26 us of kernel time
 * (page lookup, write_begin/write_end, inode and journal bookkeeping per call), a memcpy
 * through the mapping ~1.3 us including the first write fault on the page; that pwrite was
 * most of the event loop's time on 4 KiB writes (README, Performance).
 *
 *   mapOpen(fd, length, residentBudget) -> handle   mmap(MAP_SHARED), read-write
 *   mapCopyIn(handle, buf, offset)  -> 0 | 1 | -1 | -2   buf into the image at offset
 *   mapZapAsync(handle) -> Promise<void>                 drop resident pages, on the pool
 *   mapResize(handle, fd, length)                    the image grew (or shrank)
 *   mapClose(handle)                                 munmap; later copies answer -1
 *
 * 1: copied, and the resident budget is spent: call mapZapAsync (see below).
 * -1: the range is not mapped (past the mapped length or the file's current end, or closed)
 * or not all in the page cache (see resident()); -2: the kernel raised
 * SIGBUS during the copy (the write fault was refused: ENOSPC or EDQUOT in a hole, a file
 * system shut down, a page that could not be read in, a file truncated under the mapping).
 * In both cases nothing is reported wrong here: the caller repeats the write with pwrite,
 * which fails with the real errno. A copy that took -2 may have copied part of buf.
 *
 * SIGBUS: the handler is installed at the first mapOpen, chained to whatever was there.
 * It only jumps out of a fault raised inside a guarded copy on this thread (the copies run
 * on the event loop's thread); any other SIGBUS goes to the previous disposition, which is
 * normally the default: the process dies, as it would have without this addon.
 *
 * Resident pages of the mapping count in the process's RSS (RssFile) though they are page
 * cache either way. Once `residentBudget` bytes were copied through a mapping, mapCopyIn
 * answers 1 and the caller zaps it (MADV_DONTNEED: page table entries dropped, dirty state
 * handed to the page cache, nothing lost), so RSS stays bounded by about that much per
 * image. The zap runs on the libuv pool: handing a dirty entry to a large ext4 folio walks
 * all of the folio's buffer heads, and 8,192 of them took 12 ms, far too long for the event
 * loop. Copies go on meanwhile (the kernel orders faults against the zap); mapResize and
 * mapClose refuse (EBUSY) until it is done, since the range must not be unmapped under it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>
#include "mapped_io.h"

typedef struct {
  int fd;
  uint8_t *base;
  size_t length;
  size_t budget;
  size_t touched;
  int zapping;
} mapping_t;

/* volatile: the stores around memcpy must not be merged or dropped (memcpy does not read it). */
static __thread sigjmp_buf *volatile bus_guard;
static struct sigaction previous_bus;
static int bus_installed;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  sigjmp_buf *g = bus_guard;
  if (g) {
    bus_guard = NULL;
    siglongjmp(*g, 1); /* SA_NODEFER: SIGBUS is not blocked in here, no mask to restore */
  }
  if (previous_bus.sa_flags & SA_SIGINFO) {
    if (previous_bus.sa_sigaction) {
      previous_bus.sa_sigaction(sig, si, uc);
      return;
    }
  } else if (previous_bus.sa_handler != SIG_DFL && previous_bus.sa_handler != SIG_IGN) {
    previous_bus.sa_handler(sig);
    return;
  }
  signal(SIGBUS, SIG_DFL);
  raise(SIGBUS);
}

static int install_bus_handler(void) {
  if (bus_installed) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, &previous_bus) != 0) return errno;
  bus_installed = 1;
  return 0;
}

/*
 * Whether every page of [off, off+n) is in the page cache (mincore reports page-cache
 * residency for file mappings, mapped into this process or not). A copy through a page
 * that is not would fault it in from disk on the event loop's thread; the caller's
 * pread(RWF_NOWAIT)/libuv-pool path handles those instead. A page evicted between this
 * check and the copy still faults, which is rare and no worse than a blocking pwrite.
 */
#define RESIDENT_MAX_PAGES 128
static int resident(mapping_t *m, size_t off, size_t n) {
  static size_t page;
  if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
  if (n == 0) return 1;
  size_t first = off & ~(page - 1);
  size_t span = off + n - first;
  size_t pages = (span + page - 1) / page;
  if (pages > RESIDENT_MAX_PAGES) return 0;
  unsigned char vec[RESIDENT_MAX_PAGES];
  if (mincore(m->base + first, span, vec) != 0) return 0;
  for (size_t i = 0; i < pages; i++)
    if (!(vec[i] & 1)) return 0;
  return 1;
}

/*
 * Whether the file still reaches `end`. A file truncated under the mapping keeps its last
 * partial page mapped: a copy there would not fault, a read would see zeros past the new
 * end and a write would vanish. fstat costs a fraction of a microsecond; pread/pwrite on the
 * fallback path give the truncated file its usual answers (end of medium, or growth).
 */
static int within_file(mapping_t *m, size_t end) {
  struct stat st;
  return fstat(m->fd, &st) == 0 && (uint64_t)st.st_size >= end;
}

/* One guarded copy. Returns 0, or -2 when a SIGBUS cut it short. */
static int guarded_copy(void *dst, const void *src, size_t n) {
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) return -2;
  bus_guard = &jb;
  __asm__ volatile("" ::: "memory");
  memcpy(dst, src, n);
  __asm__ volatile("" ::: "memory");
  bus_guard = NULL;
  return 0;
}

/* 1 when the copies since the last zap have spent the budget. */
static int over_budget(mapping_t *m, size_t n) {
  m->touched += n;
  return m->budget != 0 && m->touched >= m->budget && !m->zapping;
}

static napi_value num(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static napi_value fail(napi_env env, int e, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, e == ENOMEM ? "ENOMEM" : e == ENODEV ? "ENODEV" : e == EACCES ? "EACCES" : e == EBUSY ? "EBUSY" : "EINVAL", msg);
  return NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  mapping_t *m = data;
  if (m->base) munmap(m->base, m->length);
  free(m);
}

static int map_length(mapping_t *m, int fd, size_t length) {
  if (length == 0) {
    m->base = NULL;
    m->length = 0;
    return 0;
  }
  void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return errno;
  /* Random access is the norm for a LUN: no read-ahead through the mapping. */
  madvise(p, length, MADV_RANDOM);
  m->base = p;
  m->length = length;
  return 0;
}

static mapping_t *get_mapping(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) {
    napi_throw_type_error(env, "EINVAL", "not a mapping handle");
    return NULL;
  }
  return data;
}

static napi_value map_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  int64_t fd, length, budget;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int64(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok ||
      napi_get_value_int64(env, argv[2], &budget) != napi_ok || fd < 0 || length < 0 || budget < 0) {
    napi_throw_type_error(env, "EINVAL", "mapOpen(fd, length, residentBudget)");
    return NULL;
  }
  int e = install_bus_handler();
  if (e) return fail(env, e, "sigaction(SIGBUS)");
  mapping_t *m = calloc(1, sizeof *m);
  if (!m) return fail(env, ENOMEM, "mapOpen");
  m->fd = (int)fd;
  m->budget = (size_t)budget;
  e = map_length(m, (int)fd, (size_t)length);
  if (e) {
    free(m);
    return fail(env, e, "mmap");
  }
  napi_value handle;
  if (napi_create_external(env, m, finalize, NULL, &handle) != napi_ok) {
    if (m->base) munmap(m->base, m->length);
    free(m);
    return fail(env, ENOMEM, "mapOpen");
  }
  return handle;
}

static napi_value map_copy_in(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  int64_t offset;
  napi_typedarray_type type;
  size_t length, byte_offset;
  void *data;
  napi_value ab;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, "EINVAL", "mapCopyIn(handle, Uint8Array, offset)");
    return NULL;
  }
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, &ab, &byte_offset) != napi_ok || type != napi_uint8_array ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok || offset < 0) {
    napi_throw_type_error(env, "EINVAL", "mapCopyIn(handle, Uint8Array, offset)");
    return NULL;
  }
  if (!m->base || (uint64_t)offset > m->length || length > m->length - (size_t)offset) return num(env, -1);
  if (!within_file(m, (size_t)offset + length) || !resident(m, (size_t)offset, length)) return num(env, -1);
  int r = guarded_copy(m->base + offset, data, length);
  if (r == 0 && over_budget(m, length)) r = 1;
  return num(env, r);
}


static napi_value map_resize(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  int64_t fd, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, "EINVAL", "mapResize(handle, fd, length)");
    return NULL;
  }
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  if (napi_get_value_int64(env, argv[1], &fd) != napi_ok || napi_get_value_int64(env, argv[2], &length) != napi_ok || fd < 0 || length < 0) {
    napi_throw_type_error(env, "EINVAL", "mapResize(handle, fd, length)");
    return NULL;
  }
  if (m->zapping) return fail(env, EBUSY, "mapResize");
  if ((size_t)length == m->length) return NULL;
  /* A new mapping first: if it fails the old one still serves what it covers. */
  mapping_t next = *m;
  int e = map_length(&next, (int)fd, (size_t)length);
  if (e) return fail(env, e, "mmap");
  if (m->base) munmap(m->base, m->length);
  *m = next;
  m->fd = (int)fd;
  m->touched = 0;
  return NULL;
}

static napi_value map_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, "EINVAL", "mapClose(handle)");
    return NULL;
  }
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  if (m->zapping) return fail(env, EBUSY, "mapClose");
  if (m->base) munmap(m->base, m->length);
  m->base = NULL;
  m->length = 0;
  return NULL;
}

typedef struct {
  mapping_t *m;
  uint8_t *base;
  size_t length;
  napi_ref keep; /* the handle stays alive (no finalizer munmap) while the pool works on it */
  napi_deferred deferred;
  napi_async_work work;
} zap_req;

static void zap_execute(napi_env env, void *data) {
  (void)env;
  zap_req *z = data;
  madvise(z->base, z->length, MADV_DONTNEED);
}

static void zap_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  zap_req *z = data;
  z->m->zapping = 0;
  napi_value undef;
  napi_get_undefined(env, &undef);
  napi_resolve_deferred(env, z->deferred, undef);
  napi_delete_reference(env, z->keep);
  napi_delete_async_work(env, z->work);
  free(z);
}

static napi_value map_zap_async(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, "EINVAL", "mapZapAsync(handle)");
    return NULL;
  }
  mapping_t *m = get_mapping(env, argv[0]);
  if (!m) return NULL;
  napi_value promise, name, undef;
  zap_req *z = calloc(1, sizeof *z);
  if (!z) return fail(env, ENOMEM, "mapZapAsync");
  if (napi_create_promise(env, &z->deferred, &promise) != napi_ok) {
    free(z);
    return fail(env, ENOMEM, "mapZapAsync");
  }
  napi_get_undefined(env, &undef);
  if (m->zapping || !m->base) { /* one at a time; nothing mapped: nothing to drop */
    napi_resolve_deferred(env, z->deferred, undef);
    free(z);
    return promise;
  }
  z->m = m;
  z->base = m->base;
  z->length = m->length;
  napi_create_string_utf8(env, "sanbox.mapZap", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[0], 1, &z->keep) != napi_ok ||
      napi_create_async_work(env, NULL, name, zap_execute, zap_complete, z, &z->work) != napi_ok ||
      napi_queue_async_work(env, z->work) != napi_ok) {
    napi_resolve_deferred(env, z->deferred, undef); /* not dropped this time; the next budget tries again */
    if (z->keep) napi_delete_reference(env, z->keep);
    free(z);
    return promise;
  }
  m->zapping = 1;
  m->touched = 0;
  return promise;
}

void mapped_io_export(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mapOpen", NULL, map_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapCopyIn", NULL, map_copy_in, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapZapAsync", NULL, map_zap_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapResize", NULL, map_resize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mapClose", NULL, map_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
