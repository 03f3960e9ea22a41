/*
 * store.c - where journals live: a file (the default) and memory.
 *
 * The file store appends each record with one write() on an O_APPEND
 * descriptor, makes it durable with fdatasync(), and keeps one writer at a
 * time with an exclusive lock on the whole file.
 *
 * The lock is an open-file-description lock (F_OFD_SETLK, POSIX.1-2024)
 * where the system has one, and a classic process lock (F_SETLK)
 * otherwise. Classic locks belong to the process: a second descriptor on
 * the same file in the same process would get the lock too, and closing
 * either descriptor drops it. Description locks exclude a second writer in
 * the same process as well, and a read-only store closed by the same
 * process leaves the writer's lock alone.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
/* glibc still declares F_OFD_SETLK only with _GNU_SOURCE. */
#define _GNU_SOURCE 1
#endif

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef F_OFD_SETLK
#define LOCK_SET F_OFD_SETLK
#define LOCK_GET F_OFD_GETLK
#else
#define LOCK_SET F_SETLK
#define LOCK_GET F_GETLK
#endif

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

/* ------------------------------------------------------------------ file */

typedef struct file_store {
    ofb_store base;          /* first: an ofb_store * is a file_store * */
    ofb_allocator alloc;
    int fd;
    unsigned mode;
    bool locked;
    bool dir_pending;        /* created: the directory entry needs a sync */
    char *path;
    char msg[sizeof(((ofb_error *)0)->message)];
} file_store;

/* Remembers why the last call failed, for the journal's messages (the
 * store interface returns only a code). */
static int file_fail(file_store *f, const char *what, int e)
{
    snprintf(f->msg, sizeof f->msg, "cannot %s journal '%s': %s", what,
             f->path, strerror(e));
    return OFB_EIO;
}

static int file_read(ofb_store *s, uint64_t off, void *buf, size_t cap,
                     size_t *got)
{
    file_store *f = (file_store *)s;
    f->msg[0] = '\0';
    *got = 0;
    if (off > (uint64_t)INT64_MAX)
        return OFB_EINVAL;
    if (cap > SSIZE_MAX)
        cap = SSIZE_MAX;
    for (;;) {
        ssize_t n = pread(f->fd, buf, cap, (off_t)off);
        if (n >= 0) {
            *got = (size_t)n;
            return OFB_OK;
        }
        if (errno != EINTR)
            return file_fail(f, "read", errno);
    }
}

static int file_append(ofb_store *s, const void *data, size_t len)
{
    file_store *f = (file_store *)s;
    const char *p = data;

    f->msg[0] = '\0';
    if (f->mode & OFB_STORE_READONLY)
        return file_fail(f, "append to", EBADF);
    /* One write() normally carries the whole record; a short write (a
     * signal, a full disk) is continued, and O_APPEND keeps it at the
     * end. */
    while (len > 0) {
        ssize_t n = write(f->fd, p, len > SSIZE_MAX ? SSIZE_MAX : len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return file_fail(f, "append to", errno);
        }
        if (n == 0)
            return file_fail(f, "append to", ENOSPC);
        p += n;
        len -= (size_t)n;
    }
    return OFB_OK;
}

/* A new file is only durable once its directory entry is. */
static int sync_dir(file_store *f)
{
    const char *slash = strrchr(f->path, '/');
    char dir[4096];
    size_t n;

    if (!slash) {
        dir[0] = '.';
        n = 1;
    } else {
        n = slash == f->path ? 1 : (size_t)(slash - f->path);
        if (n >= sizeof dir)
            return OFB_OK; /* cannot name it; the file itself is synced */
        memcpy(dir, f->path, n);
    }
    dir[n] = '\0';
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return file_fail(f, "sync the directory of", errno);
    int rc = OFB_OK;
    while (fsync(fd) != 0) {
        if (errno == EINTR)
            continue;
        /* Some file systems cannot sync a directory; nothing to do. */
        if (errno != EINVAL && errno != EBADF)
            rc = file_fail(f, "sync the directory of", errno);
        break;
    }
    close(fd);
    return rc;
}

static int file_sync(ofb_store *s)
{
    file_store *f = (file_store *)s;

    f->msg[0] = '\0';
    if (f->mode & OFB_STORE_READONLY)
        return OFB_OK;
    while (fdatasync(f->fd) != 0) {
        if (errno != EINTR)
            return file_fail(f, "sync", errno);
    }
    if (f->dir_pending) {
        int rc = sync_dir(f);
        if (rc)
            return rc;
        f->dir_pending = false;
    }
    return OFB_OK;
}

static int file_truncate(ofb_store *s, uint64_t len)
{
    file_store *f = (file_store *)s;

    f->msg[0] = '\0';
    if (f->mode & OFB_STORE_READONLY)
        return file_fail(f, "truncate", EBADF);
    if (len > (uint64_t)INT64_MAX)
        return OFB_EINVAL;
    while (ftruncate(f->fd, (off_t)len) != 0) {
        if (errno != EINTR)
            return file_fail(f, "truncate", errno);
    }
    return OFB_OK;
}

static int try_lock(file_store *f, int *err_no)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0;
    fl.l_len = 0; /* the whole file, however long it grows */
    if (fcntl(f->fd, LOCK_SET, &fl) == 0)
        return 1;
    *err_no = errno;
    return 0;
}

/* The holder's pid when the system can tell (process locks), else 0. */
static long lock_holder(file_store *f)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(f->fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
        fl.l_pid > 0)
        return (long)fl.l_pid;
    return 0;
}

static int file_lock(ofb_store *s, int timeout_ms)
{
    file_store *f = (file_store *)s;
    long waited_ns = 0, step_ns = 1000000L; /* 1 ms, doubling to 32 ms */
    long limit_ns = timeout_ms > 0 ? (long)timeout_ms * 1000000L : 0;
    int e = 0;

    f->msg[0] = '\0';
    if ((f->mode & OFB_STORE_READONLY) || f->locked)
        return OFB_OK;
    /* The only place the library waits: polling, in small steps, for at
     * most timeout_ms (the time actually slept is what counts). */
    while (!try_lock(f, &e)) {
        if (e != EACCES && e != EAGAIN && e != EINTR)
            return file_fail(f, "lock", e);
        if (waited_ns >= limit_ns) {
            long pid = lock_holder(f);
            if (pid > 0)
                snprintf(f->msg, sizeof f->msg,
                         "journal '%s' is in use by another writer (pid %ld)",
                         f->path, pid);
            else
                snprintf(f->msg, sizeof f->msg,
                         "journal '%s' is in use by another writer", f->path);
            return OFB_EBUSY;
        }
        long ns = step_ns < limit_ns - waited_ns ? step_ns
                                                 : limit_ns - waited_ns;
        struct timespec ts = {ns / 1000000000L, ns % 1000000000L}, rem;
        while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
            ts = rem;
        waited_ns += ns;
        if (step_ns < 32000000L)
            step_ns *= 2;
    }
    f->locked = true;
    return OFB_OK;
}

static void file_close(ofb_store *s)
{
    file_store *f = (file_store *)s;
    /* Closing the descriptor releases the lock. */
    close(f->fd);
    ofb_allocator a = f->alloc;
    ofb__free(&a, f->path);
    ofb__free(&a, f);
}

int ofb_store_file(ofb_store **out, const char *path, unsigned mode,
                   ofb_error *err)
{
    if (!out || !path || !*path)
        return ofb__err(err, OFB_EINVAL, "a journal needs a file name");
    *out = NULL;

    int flags = O_CLOEXEC;
    if (mode & OFB_STORE_READONLY) {
        flags |= O_RDONLY;
        mode &= ~(unsigned)(OFB_STORE_CREATE | OFB_STORE_EXCL);
    } else {
        flags |= O_RDWR | O_APPEND;
        if (mode & OFB_STORE_CREATE)
            flags |= O_CREAT;
        if ((mode & OFB_STORE_CREATE) && (mode & OFB_STORE_EXCL))
            flags |= O_EXCL;
    }

    ofb_allocator a;
    ofb__alloc_init(&a, NULL);
    file_store *f = ofb__calloc(&a, 1, sizeof *f);
    char *p = ofb__strdup(&a, path);
    if (!f || !p) {
        ofb__free(&a, f);
        ofb__free(&a, p);
        return ofb__err(err, OFB_ENOMEM, "out of memory opening journal '%s'",
                        path);
    }

    /* Whether we create it decides whether the directory must be synced. */
    bool existed = true;
    if (flags & O_CREAT) {
        struct stat st;
        existed = stat(path, &st) == 0;
    }
    int fd;
    do
        fd = open(path, flags, 0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int e = errno;
        ofb__free(&a, p);
        ofb__free(&a, f);
        if (e == EEXIST)
            return ofb__err(err, OFB_EIO, "journal '%s' already exists", path);
        return ofb__err(err, OFB_EIO, "cannot open journal '%s': %s", path,
                        strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd);
        ofb__free(&a, p);
        ofb__free(&a, f);
        return ofb__err(err, OFB_EIO, "journal '%s' is not a regular file",
                        path);
    }

    f->base.read = file_read;
    f->base.append = file_append;
    f->base.sync = file_sync;
    f->base.truncate = file_truncate;
    f->base.lock = file_lock;
    f->base.close = file_close;
    f->alloc = a;
    f->fd = fd;
    f->mode = mode;
    f->path = p;
    f->dir_pending = !existed;
    *out = &f->base;
    return OFB_OK;
}

/* ---------------------------------------------------------------- memory */

typedef struct mem_store {
    ofb_store base;
    ofb_allocator alloc;
    char *data;
    size_t len, cap;
} mem_store;

static int mem_read(ofb_store *s, uint64_t off, void *buf, size_t cap,
                    size_t *got)
{
    mem_store *m = (mem_store *)s;
    *got = 0;
    if (off >= m->len)
        return OFB_OK;
    size_t n = m->len - (size_t)off;
    if (n > cap)
        n = cap;
    memcpy(buf, m->data + off, n);
    *got = n;
    return OFB_OK;
}

static int mem_append(ofb_store *s, const void *data, size_t len)
{
    mem_store *m = (mem_store *)s;
    if (len > SIZE_MAX - m->len)
        return OFB_EIO;
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < m->len + len)
            cap = cap > SIZE_MAX / 2 ? m->len + len : cap * 2;
        char *d = ofb__realloc(&m->alloc, m->data, cap);
        if (!d)
            return OFB_ENOMEM;
        m->data = d;
        m->cap = cap;
    }
    if (len)
        memcpy(m->data + m->len, data, len);
    m->len += len;
    return OFB_OK;
}

static int mem_sync(ofb_store *s)
{
    (void)s;
    return OFB_OK;
}

static int mem_truncate(ofb_store *s, uint64_t len)
{
    mem_store *m = (mem_store *)s;
    if (len < m->len)
        m->len = (size_t)len;
    return OFB_OK;
}

/* A memory store belongs to one run at a time: nothing to exclude. */
static int mem_lock(ofb_store *s, int timeout_ms)
{
    (void)s;
    (void)timeout_ms;
    return OFB_OK;
}

static void mem_close(ofb_store *s)
{
    mem_store *m = (mem_store *)s;
    ofb_allocator a = m->alloc;
    ofb__free(&a, m->data);
    ofb__free(&a, m);
}

int ofb_store_memory(ofb_store **out)
{
    if (!out)
        return OFB_EINVAL;
    ofb_allocator a;
    ofb__alloc_init(&a, NULL);
    mem_store *m = ofb__calloc(&a, 1, sizeof *m);
    *out = NULL;
    if (!m)
        return OFB_ENOMEM;
    m->base.read = mem_read;
    m->base.append = mem_append;
    m->base.sync = mem_sync;
    m->base.truncate = mem_truncate;
    m->base.lock = mem_lock;
    m->base.close = mem_close;
    m->alloc = a;
    *out = &m->base;
    return OFB_OK;
}

int ofb_store_memory_data(ofb_store *s, const char **data, size_t *len)
{
    if (!s || s->read != mem_read)
        return OFB_EINVAL;
    mem_store *m = (mem_store *)s;
    if (data)
        *data = m->data ? m->data : "";
    if (len)
        *len = m->len;
    return OFB_OK;
}

void ofb_store_close(ofb_store *s)
{
    if (s && s->close)
        s->close(s);
}

const char *ofb__store_message(const ofb_store *s)
{
    if (s && s->read == file_read) {
        const file_store *f = (const file_store *)s;
        return f->msg[0] ? f->msg : NULL;
    }
    return NULL;
}
