/*
 * sanbox_rbd: Ceph RBD images for the rbd backstore (src/backstore/rbd.ts), over librbd
 * and librados, the cluster's own client libraries. Built only where librbd-dev is
 * installed (binding.gyp asks native/rbd/probe.sh); elsewhere stub.c says why not.
 *
 * Two kinds of calls, and none blocks the event loop:
 *  - I/O (read, write, flush, discard, writeZeroes, compareAndWrite) goes to librbd's
 *    rbd_aio_* with a completion; librbd calls it on one of its own threads, which hands
 *    the request to the loop through one napi thread-safe function, where its promise is
 *    settled. The thread-safe function is referenced only while I/O is in flight.
 *  - Control calls that librbd only offers synchronously or that talk to the monitors
 *    (connect, stats, create, remove, open, close, resize, size, diff) run as napi async
 *    work on the libuv pool. connect sets the client's timeouts, so none waits forever.
 *
 * Handles are napi externals: a cluster (one rados_t, shared by all images of a pool)
 * and an image (its own ioctx for pool/namespace, and the rbd_image_t). Errors reject
 * with an Error whose `code` is the errno name librbd returned (ETIMEDOUT, ENOENT, ...).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>
#include <rados/librados.h>
#include <rbd/librbd.h>

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ERANGE: return "ERANGE";
    case EDQUOT: return "EDQUOT";
    case ENOTCONN: return "ENOTCONN";
    case ESHUTDOWN: return "ESHUTDOWN"; /* the client was blocklisted */
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EILSEQ: return "EILSEQ"; /* compare-and-write: the compare failed */
    case ENOTEMPTY: return "ENOTEMPTY";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    default: return "EIO";
  }
}

static napi_value make_error(napi_env env, int e, const char *what) {
  napi_value code, msg, error;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(e));
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_value errno_value;
  napi_create_int32(env, -e, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  return error;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value throw_type(napi_env env, const char *usage) {
  napi_throw_type_error(env, "EINVAL", usage);
  return NULL;
}

/* ---- handles ------------------------------------------------------------------------ */

typedef struct {
  rados_t cluster;
  int connected;
} cluster_t;

typedef struct {
  rados_ioctx_t io;
  rbd_image_t image;
  int open;
} image_t;

static void *external_of(napi_env env, napi_value v) {
  napi_valuetype t;
  void *p = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  napi_get_value_external(env, v, &p);
  return p;
}

static char *string_of(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static int u64_of(napi_env env, napi_value v, uint64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 9007199254740991.0) return 0;
  *out = (uint64_t)d;
  return 1;
}

/* ---- control calls: napi async work on the libuv pool ------------------------------- */

enum job_kind { J_CONNECT, J_SHUTDOWN, J_STATS, J_CREATE, J_REMOVE, J_OPEN, J_CLOSE, J_RESIZE, J_SIZE, J_DIFF, J_CREATED };

typedef struct {
  uint64_t *v; /* offset, length pairs */
  size_t n, cap;
} extents_t;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  enum job_kind kind;
  int err;
  const char *what;
  cluster_t *cluster;
  image_t *image;
  char *pool, *ns, *name, *user;
  char **conf; /* key, value, ..., NULL */
  uint64_t a, b;
  struct rados_cluster_stat_t cstat;
  struct rados_pool_stat_t pstat;
  extents_t diff;
} job_t;

static void free_job(job_t *j) {
  free(j->pool);
  free(j->ns);
  free(j->name);
  free(j->user);
  if (j->conf) {
    for (char **p = j->conf; *p; p++) free(*p);
    free(j->conf);
  }
  free(j->diff.v);
  free(j);
}

static int open_ioctx(cluster_t *c, const char *pool, const char *ns, rados_ioctx_t *io) {
  int r = rados_ioctx_create(c->cluster, pool, io);
  if (r < 0) return r;
  rados_ioctx_set_namespace(*io, ns && *ns ? ns : NULL);
  return 0;
}

static int diff_cb(uint64_t off, size_t len, int exists, void *arg) {
  extents_t *d = arg;
  if (!exists) return 0;
  if (d->n > 0 && d->v[2 * (d->n - 1)] + d->v[2 * (d->n - 1) + 1] == off) {
    d->v[2 * (d->n - 1) + 1] += len;
    return 0;
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    uint64_t *v = realloc(d->v, cap * 2 * sizeof(uint64_t));
    if (!v) return -ENOMEM;
    d->v = v;
    d->cap = cap;
  }
  d->v[2 * d->n] = off;
  d->v[2 * d->n + 1] = len;
  d->n++;
  return 0;
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  job_t *j = data;
  int r = 0;
  rados_ioctx_t io;
  switch (j->kind) {
    case J_CONNECT: {
      r = rados_create2(&j->cluster->cluster, "ceph", j->user, 0);
      if (r < 0) break;
      for (char **p = j->conf; p && p[0] && p[1]; p += 2) {
        r = rados_conf_set(j->cluster->cluster, p[0], p[1]);
        if (r < 0) break;
      }
      if (r >= 0) r = rados_connect(j->cluster->cluster);
      if (r < 0) rados_shutdown(j->cluster->cluster);
      else j->cluster->connected = 1;
      break;
    }
    case J_SHUTDOWN:
      if (j->cluster->connected) rados_shutdown(j->cluster->cluster);
      j->cluster->connected = 0;
      break;
    case J_STATS:
      r = rados_cluster_stat(j->cluster->cluster, &j->cstat);
      if (r < 0) break;
      r = open_ioctx(j->cluster, j->pool, j->ns, &io);
      if (r < 0) break;
      r = rados_ioctx_pool_stat(io, &j->pstat);
      rados_ioctx_destroy(io);
      break;
    case J_CREATE: {
      r = open_ioctx(j->cluster, j->pool, j->ns, &io);
      if (r < 0) break;
      rbd_image_options_t opts;
      rbd_image_options_create(&opts);
      r = rbd_create4(io, j->name, j->a, opts); /* the cluster's default features: thin */
      rbd_image_options_destroy(opts);
      rados_ioctx_destroy(io);
      break;
    }
    case J_REMOVE:
      r = open_ioctx(j->cluster, j->pool, j->ns, &io);
      if (r < 0) break;
      r = rbd_remove(io, j->name);
      rados_ioctx_destroy(io);
      break;
    case J_OPEN:
      r = open_ioctx(j->cluster, j->pool, j->ns, &j->image->io);
      if (r < 0) break;
      r = rbd_open(j->image->io, j->name, &j->image->image, NULL);
      if (r < 0) rados_ioctx_destroy(j->image->io);
      else j->image->open = 1;
      break;
    case J_CLOSE:
      r = rbd_close(j->image->image);
      rados_ioctx_destroy(j->image->io);
      break;
    case J_RESIZE:
      r = rbd_resize(j->image->image, j->a);
      break;
    case J_SIZE:
      r = rbd_get_size(j->image->image, &j->a);
      break;
    case J_CREATED: {
      struct timespec ts;
      r = rbd_get_create_timestamp(j->image->image, &ts);
      if (r == 0) j->a = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
      break;
    }
    case J_DIFF:
      r = rbd_diff_iterate2(j->image->image, NULL, j->a, j->b, 1, 0, diff_cb, &j->diff);
      break;
  }
  j->err = r < 0 ? -r : 0;
}

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static void set_num(napi_env env, napi_value obj, const char *key, double v) {
  napi_set_named_property(env, obj, key, num(env, v));
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job_t *j = data;
  if (status != napi_ok && j->err == 0) j->err = EINTR;
  if (j->err) {
    if (j->kind == J_CONNECT || j->kind == J_OPEN) free(j->kind == J_CONNECT ? (void *)j->cluster : (void *)j->image);
    napi_reject_deferred(env, j->deferred, make_error(env, j->err, j->what));
  } else {
    napi_value result = undefined(env);
    switch (j->kind) {
      case J_CONNECT:
        napi_create_external(env, j->cluster, NULL, NULL, &result);
        break;
      case J_OPEN:
        napi_create_external(env, j->image, NULL, NULL, &result);
        break;
      case J_SHUTDOWN:
        free(j->cluster);
        break;
      case J_CLOSE:
        free(j->image);
        break;
      case J_SIZE:
      case J_CREATED:
        result = num(env, (double)j->a);
        break;
      case J_STATS:
        napi_create_object(env, &result);
        set_num(env, result, "totalBytes", (double)j->cstat.kb * 1024);
        set_num(env, result, "usedBytes", (double)j->cstat.kb_used * 1024);
        set_num(env, result, "availBytes", (double)j->cstat.kb_avail * 1024);
        set_num(env, result, "poolBytes", (double)j->pstat.num_bytes);
        set_num(env, result, "poolObjects", (double)j->pstat.num_objects);
        break;
      case J_DIFF: {
        napi_create_array_with_length(env, j->diff.n * 2, &result);
        for (size_t i = 0; i < j->diff.n * 2; i++) napi_set_element(env, result, (uint32_t)i, num(env, (double)j->diff.v[i]));
        break;
      }
      default:
        break;
    }
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_delete_async_work(env, j->work);
  free_job(j);
}

static napi_value queue_job(napi_env env, job_t *j) {
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "sanbox.rbd", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work) != napi_ok || napi_queue_async_work(env, j->work) != napi_ok) {
    napi_reject_deferred(env, j->deferred, make_error(env, EAGAIN, "cannot queue async work"));
    free_job(j);
  }
  return promise;
}

static job_t *new_job(enum job_kind kind, const char *what) {
  job_t *j = calloc(1, sizeof *j);
  if (j) {
    j->kind = kind;
    j->what = what;
  }
  return j;
}

static size_t get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t max) {
  size_t argc = max;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  return argc;
}

/* connect(user, [key, value, ...]) -> Promise<cluster> */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t n = 0;
  if (get_args(env, info, argv, 2) < 2 || napi_get_array_length(env, argv[1], &n) != napi_ok || n % 2) return throw_type(env, "connect(user, [key, value, ...])");
  job_t *j = new_job(J_CONNECT, "connecting to the cluster");
  j->cluster = calloc(1, sizeof(cluster_t));
  j->user = string_of(env, argv[0]);
  j->conf = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    j->conf[i] = string_of(env, v);
  }
  return queue_job(env, j);
}

static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  cluster_t *c = get_args(env, info, argv, 1) == 1 ? external_of(env, argv[0]) : NULL;
  if (!c) return throw_type(env, "shutdown(cluster)");
  job_t *j = new_job(J_SHUTDOWN, "shutting down");
  j->cluster = c;
  return queue_job(env, j);
}

/* stats(cluster, pool, ns), create(cluster, pool, ns, name, size), remove(cluster, pool, ns, name), open(cluster, pool, ns, name) */
static napi_value pool_job(napi_env env, napi_callback_info info, enum job_kind kind, size_t want, const char *usage, const char *what) {
  napi_value argv[5];
  if (get_args(env, info, argv, 5) < want) return throw_type(env, usage);
  cluster_t *c = external_of(env, argv[0]);
  if (!c) return throw_type(env, usage);
  job_t *j = new_job(kind, what);
  j->cluster = c;
  j->pool = string_of(env, argv[1]);
  j->ns = string_of(env, argv[2]);
  if (want >= 4) j->name = string_of(env, argv[3]);
  if (want >= 5 && !u64_of(env, argv[4], &j->a)) {
    free_job(j);
    return throw_type(env, usage);
  }
  if (kind == J_OPEN) j->image = calloc(1, sizeof(image_t));
  return queue_job(env, j);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  return pool_job(env, info, J_STATS, 3, "stats(cluster, pool, namespace)", "reading the cluster's usage");
}
static napi_value js_create(napi_env env, napi_callback_info info) {
  return pool_job(env, info, J_CREATE, 5, "create(cluster, pool, namespace, name, size)", "creating the image");
}
static napi_value js_remove(napi_env env, napi_callback_info info) {
  return pool_job(env, info, J_REMOVE, 4, "remove(cluster, pool, namespace, name)", "removing the image");
}
static napi_value js_open(napi_env env, napi_callback_info info) {
  return pool_job(env, info, J_OPEN, 4, "open(cluster, pool, namespace, name)", "opening the image");
}

/* close(image), size(image), resize(image, bytes), diff(image, offset, length) */
static napi_value image_job(napi_env env, napi_callback_info info, enum job_kind kind, size_t want, const char *usage, const char *what) {
  napi_value argv[3];
  if (get_args(env, info, argv, 3) < want) return throw_type(env, usage);
  image_t *img = external_of(env, argv[0]);
  if (!img || !img->open) return throw_type(env, usage);
  job_t *j = new_job(kind, what);
  j->image = img;
  if ((want >= 2 && !u64_of(env, argv[1], &j->a)) || (want >= 3 && !u64_of(env, argv[2], &j->b))) {
    free_job(j);
    return throw_type(env, usage);
  }
  if (kind == J_CLOSE) img->open = 0;
  return queue_job(env, j);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  return image_job(env, info, J_CLOSE, 1, "close(image)", "closing the image");
}
static napi_value js_size(napi_env env, napi_callback_info info) {
  return image_job(env, info, J_SIZE, 1, "size(image)", "reading the image's size");
}
/* createdAt(image) -> Promise<ms since the epoch>: when the cluster made the image. */
static napi_value js_created(napi_env env, napi_callback_info info) {
  return image_job(env, info, J_CREATED, 1, "createdAt(image)", "reading the image's creation time");
}
static napi_value js_resize(napi_env env, napi_callback_info info) {
  return image_job(env, info, J_RESIZE, 2, "resize(image, bytes)", "resizing the image");
}
static napi_value js_diff(napi_env env, napi_callback_info info) {
  return image_job(env, info, J_DIFF, 3, "diff(image, offset, length)", "reading the image's allocation");
}

/* ---- I/O: rbd_aio_* completions, settled on the loop through a thread-safe function --- */

enum aio_kind { A_READ, A_WRITE, A_FLUSH, A_DISCARD, A_ZEROES, A_CMPWRITE };

typedef struct {
  napi_deferred deferred;
  napi_ref buf_ref, cmp_ref;
  rbd_completion_t comp;
  enum aio_kind kind;
  ssize_t ret;
  size_t len;
  /* compare-and-write: where it started and the image's stripe unit, to place the mismatch. */
  uint64_t off, su;
  uint64_t mismatch;
} aio_t;

static napi_threadsafe_function tsfn;
static uint64_t inflight;

static const char *aio_what(enum aio_kind k) {
  switch (k) {
    case A_READ: return "read";
    case A_WRITE: return "write";
    case A_FLUSH: return "flush";
    case A_DISCARD: return "discard";
    case A_ZEROES: return "write zeroes";
    default: return "compare and write";
  }
}

/* On a librbd thread: never touch napi values here, only hand the request over. */
static void aio_done(rbd_completion_t c, void *arg) {
  aio_t *a = arg;
  a->ret = rbd_aio_get_return_value(c);
  napi_call_threadsafe_function(tsfn, a, napi_tsfn_nonblocking);
}

static void aio_settle(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb;
  (void)context;
  aio_t *a = data;
  if (env != NULL) {
    if (a->kind == A_CMPWRITE && a->ret == -EILSEQ) {
      /*
       * The compare failed: resolve with the offset of the first differing byte, counted
       * from the start of the compare buffer. librbd means to give the image offset of
       * that byte, but 16.2.15 maps the OSD's offset (relative to the compared extent) as
       * if it were an object offset: it answers the image offset of the stripe unit the
       * object starts with, plus the relative offset (an image offset 4 MiB + 8229 came
       * back as 4 MiB + 37). A compare never crosses a stripe unit, so the relative offset
       * is the answer within [off, off+len) and the answer modulo the stripe unit else.
       */
      uint64_t m = a->mismatch;
      uint64_t rel = m >= a->off && m < a->off + a->len ? m - a->off : (a->su ? m % a->su : m);
      napi_resolve_deferred(env, a->deferred, num(env, (double)rel));
    } else if (a->ret < 0) {
      napi_reject_deferred(env, a->deferred, make_error(env, (int)-a->ret, aio_what(a->kind)));
    } else if (a->kind == A_READ && (size_t)a->ret != a->len) {
      napi_reject_deferred(env, a->deferred, make_error(env, EIO, "short read"));
    } else {
      napi_resolve_deferred(env, a->deferred, a->kind == A_CMPWRITE ? num(env, -1) : undefined(env));
    }
    if (a->buf_ref) napi_delete_reference(env, a->buf_ref);
    if (a->cmp_ref) napi_delete_reference(env, a->cmp_ref);
    if (--inflight == 0) napi_unref_threadsafe_function(env, tsfn);
  }
  rbd_aio_release(a->comp);
  free(a);
}

static int buffer_of(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_buffer_info(env, v, data, len) == napi_ok;
}

/*
 * read(image, buf, offset), write(image, buf, offset), flush(image),
 * discard(image, offset, length), writeZeroes(image, offset, length),
 * compareAndWrite(image, cmp, buf, offset) -> Promise<-1 | mismatch offset>
 */
static napi_value start_aio(napi_env env, napi_callback_info info, enum aio_kind kind) {
  napi_value argv[4];
  size_t argc = get_args(env, info, argv, 4);
  image_t *img = argc >= 1 ? external_of(env, argv[0]) : NULL;
  if (!img) return throw_type(env, "an image handle first");
  void *buf = NULL, *cmp = NULL;
  size_t len = 0, cmp_len = 0;
  uint64_t off = 0, length = 0;
  int ok = 1;
  switch (kind) {
    case A_READ:
    case A_WRITE:
      ok = argc >= 3 && buffer_of(env, argv[1], &buf, &len) && u64_of(env, argv[2], &off);
      break;
    case A_DISCARD:
    case A_ZEROES:
      ok = argc >= 3 && u64_of(env, argv[1], &off) && u64_of(env, argv[2], &length);
      break;
    case A_CMPWRITE:
      ok = argc >= 4 && buffer_of(env, argv[1], &cmp, &cmp_len) && buffer_of(env, argv[2], &buf, &len) && cmp_len == len && u64_of(env, argv[3], &off);
      break;
    case A_FLUSH:
      break;
  }
  if (!ok) return throw_type(env, "read|write(image, buffer, offset), discard|writeZeroes(image, offset, length), compareAndWrite(image, cmp, buffer, offset)");
  napi_value promise;
  aio_t *a = calloc(1, sizeof *a);
  a->kind = kind;
  a->len = len;
  a->off = off;
  napi_create_promise(env, &a->deferred, &promise);
  if (!img->open) {
    napi_reject_deferred(env, a->deferred, make_error(env, EBADF, "the image is closed"));
    free(a);
    return promise;
  }
  if (buf) napi_create_reference(env, kind == A_CMPWRITE ? argv[2] : argv[1], 1, &a->buf_ref);
  if (cmp) napi_create_reference(env, argv[1], 1, &a->cmp_ref);
  int r = rbd_aio_create_completion(a, aio_done, &a->comp);
  if (r == 0) {
    switch (kind) {
      case A_READ:
        r = rbd_aio_read2(img->image, off, len, buf, a->comp, LIBRADOS_OP_FLAG_FADVISE_RANDOM);
        break;
      case A_WRITE:
        r = rbd_aio_write2(img->image, off, len, buf, a->comp, 0);
        break;
      case A_FLUSH:
        r = rbd_aio_flush(img->image, a->comp);
        break;
      case A_DISCARD:
        r = rbd_aio_discard(img->image, off, length, a->comp);
        break;
      case A_ZEROES:
        /* Written as zeros, not discarded: WRITE SAME without UNMAP leaves the blocks mapped. */
        r = rbd_aio_write_zeroes(img->image, off, length, a->comp, RBD_WRITE_ZEROES_FLAG_THICK_PROVISION, 0);
        break;
      case A_CMPWRITE:
        r = rbd_get_stripe_unit(img->image, &a->su);
        if (r < 0) break;
        r = (int)rbd_aio_compare_and_write(img->image, off, len, cmp, buf, a->comp, &a->mismatch, 0);
        break;
    }
    if (r < 0) rbd_aio_release(a->comp);
  }
  if (r < 0) {
    napi_reject_deferred(env, a->deferred, make_error(env, -r, aio_what(kind)));
    if (a->buf_ref) napi_delete_reference(env, a->buf_ref);
    if (a->cmp_ref) napi_delete_reference(env, a->cmp_ref);
    free(a);
    return promise;
  }
  if (inflight++ == 0) napi_ref_threadsafe_function(env, tsfn);
  return promise;
}

static napi_value js_read(napi_env env, napi_callback_info info) { return start_aio(env, info, A_READ); }
static napi_value js_write(napi_env env, napi_callback_info info) { return start_aio(env, info, A_WRITE); }
static napi_value js_flush(napi_env env, napi_callback_info info) { return start_aio(env, info, A_FLUSH); }
static napi_value js_discard(napi_env env, napi_callback_info info) { return start_aio(env, info, A_DISCARD); }
static napi_value js_zeroes(napi_env env, napi_callback_info info) { return start_aio(env, info, A_ZEROES); }
static napi_value js_cmpwrite(napi_env env, napi_callback_info info) { return start_aio(env, info, A_CMPWRITE); }

static napi_value init(napi_env env, napi_value exports) {
  napi_value name, available;
  napi_create_string_utf8(env, "sanbox.rbd.aio", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, aio_settle, &tsfn);
  napi_unref_threadsafe_function(env, tsfn);
  napi_get_boolean(env, true, &available);
  int major, minor, extra;
  rbd_version(&major, &minor, &extra);
  char version[32];
  snprintf(version, sizeof version, "%d.%d.%d", major, minor, extra);
  napi_value v;
  napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &v);
  napi_property_descriptor props[] = {
    {"available", NULL, NULL, NULL, NULL, available, napi_enumerable, NULL},
    {"librbdVersion", NULL, NULL, NULL, NULL, v, napi_enumerable, NULL},
    {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
    {"shutdown", NULL, js_shutdown, NULL, NULL, NULL, napi_enumerable, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
    {"create", NULL, js_create, NULL, NULL, NULL, napi_enumerable, NULL},
    {"remove", NULL, js_remove, NULL, NULL, NULL, napi_enumerable, NULL},
    {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
    {"size", NULL, js_size, NULL, NULL, NULL, napi_enumerable, NULL},
    {"createdAt", NULL, js_created, NULL, NULL, NULL, napi_enumerable, NULL},
    {"resize", NULL, js_resize, NULL, NULL, NULL, napi_enumerable, NULL},
    {"diff", NULL, js_diff, NULL, NULL, NULL, napi_enumerable, NULL},
    {"read", NULL, js_read, NULL, NULL, NULL, napi_enumerable, NULL},
    {"write", NULL, js_write, NULL, NULL, NULL, napi_enumerable, NULL},
    {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
    {"discard", NULL, js_discard, NULL, NULL, NULL, napi_enumerable, NULL},
    {"writeZeroes", NULL, js_zeroes, NULL, NULL, NULL, napi_enumerable, NULL},
    {"compareAndWrite", NULL, js_cmpwrite, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
