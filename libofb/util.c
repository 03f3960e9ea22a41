/*
 * util.c - allocation, error records, ids, dates, UTF-8, arena, map, buffer.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ofb_version(void) { return OFB_VERSION_STRING; }
int ofb_version_number(void) { return OFB_VERSION_NUMBER; }

const char *ofb_strerror(int code)
{
    switch (code) {
    case OFB_OK: return "success";
    case OFB_ENOMEM: return "out of memory";
    case OFB_EINVAL: return "invalid argument";
    case OFB_ESYNTAX: return "syntax error";
    case OFB_EDEFINITION: return "invalid workflow definition";
    case OFB_ENOTFOUND: return "not found";
    case OFB_ESEALED: return "workflow sealed state does not allow this";
    case OFB_ESTATE: return "run is not in a state that allows this";
    case OFB_EPREREQ: return "prerequisite not settled";
    case OFB_EGUARD: return "step does not apply (guard is false)";
    case OFB_ENEEDINPUT: return "an input must be set first";
    case OFB_ENOTREADY: return "step is not ready";
    case OFB_ENOTOPTIONAL: return "step is not optional";
    case OFB_ECONFIRM: return "irreversible step needs confirmation";
    case OFB_ETYPE: return "value does not fit the input's type";
    case OFB_EIO: return "journal I/O error";
    case OFB_ECORRUPT: return "journal is damaged";
    case OFB_EBUSY: return "journal is in use";
    case OFB_EMISMATCH: return "journal belongs to another definition";
    case OFB_ELIMIT: return "limit exceeded";
    case OFB_EUSER: return "callback failed";
    default: return "unknown error";
    }
}

/* ------------------------------------------------------------ allocation */

static void *default_malloc(size_t n, void *ud) { (void)ud; return malloc(n); }
static void *default_realloc(void *p, size_t n, void *ud)
{
    (void)ud;
    return realloc(p, n);
}
static void default_free(void *p, void *ud) { (void)ud; free(p); }

void ofb__alloc_init(ofb_allocator *dst, const ofb_allocator *src)
{
    if (src && src->malloc && src->realloc && src->free) {
        *dst = *src;
    } else {
        dst->malloc = default_malloc;
        dst->realloc = default_realloc;
        dst->free = default_free;
        dst->ud = NULL;
    }
}

void *ofb__malloc(const ofb_allocator *a, size_t n)
{
    return a->malloc(n ? n : 1, a->ud);
}

void *ofb__calloc(const ofb_allocator *a, size_t count, size_t n)
{
    if (n && count > SIZE_MAX / n)
        return NULL;
    size_t total = count * n;
    void *p = ofb__malloc(a, total);
    if (p && total)
        memset(p, 0, total);
    return p;
}

void *ofb__realloc(const ofb_allocator *a, void *p, size_t n)
{
    return a->realloc(p, n ? n : 1, a->ud);
}

void ofb__free(const ofb_allocator *a, void *p)
{
    if (p)
        a->free(p, a->ud);
}

char *ofb__strdup(const ofb_allocator *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ofb__malloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int ofb__grow(const ofb_allocator *a, void **arr, size_t elem, uint32_t *cap,
              size_t need)
{
    if (need <= *cap)
        return OFB_OK;
    if (need > UINT32_MAX / 2)
        return OFB_ELIMIT;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return OFB_ELIMIT;
    void *p = ofb__realloc(a, *arr, ncap * elem);
    if (!p)
        return OFB_ENOMEM;
    *arr = p;
    *cap = (uint32_t)ncap;
    return OFB_OK;
}

/* ---------------------------------------------------------------- errors */

static void err_clear(ofb_error *err, int code)
{
    err->code = code;
    err->line = 0;
    err->column = 0;
    err->count = 1;
    err->file[0] = '\0';
    err->step[0] = '\0';
    err->detail[0] = '\0';
    err->message[0] = '\0';
}

int ofb__err(ofb_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err_clear(err, code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

int ofb__err_at(ofb_error *err, int code, const char *file, int line, int col,
                const char *fmt, ...)
{
    if (!err)
        return code;
    err_clear(err, code);
    err->line = line;
    err->column = col;
    if (file)
        snprintf(err->file, sizeof err->file, "%s", file);
    int n;
    if (line > 0)
        n = snprintf(err->message, sizeof err->message, "%s:%d:%d: error: ",
                     file ? file : "<text>", line, col);
    else
        n = snprintf(err->message, sizeof err->message, "%s: error: ",
                     file ? file : "<text>");
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof err->message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

void ofb__err_names(ofb_error *err, const char *step, const char *detail)
{
    if (!err)
        return;
    if (step)
        snprintf(err->step, sizeof err->step, "%s", step);
    if (detail)
        snprintf(err->detail, sizeof err->detail, "%s", detail);
}

/* ------------------------------------------------------------ validation */

bool ofb__valid_id(const char *s, size_t len)
{
    if (!s || len == 0 || len > OFB_ID_MAX)
        return false;
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

bool ofb__valid_run_id(const char *s)
{
    if (!s || !*s)
        return false;
    size_t i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (i >= OFB_ID_MAX)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
              c == '-'))
            return false;
    }
    return true;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from the civil date (Howard Hinnant's algorithm, proleptic
 * Gregorian): exact for every year we accept. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool ofb__parse_date(const char *s, size_t len, int64_t *days)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return false;
    int64_t v[3] = {0, 0, 0};
    static const int start[3] = {0, 5, 8}, width[3] = {4, 2, 2};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < width[k]; i++) {
            char c = s[start[k] + i];
            if (c < '0' || c > '9')
                return false;
            v[k] = v[k] * 10 + (c - '0');
        }
    }
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    if (v[0] < 1 || v[1] < 1 || v[1] > 12 || v[2] < 1)
        return false;
    int64_t max = mdays[v[1] - 1] + (v[1] == 2 && leap(v[0]));
    if (v[2] > max)
        return false;
    if (days)
        *days = days_from_civil(v[0], v[1], v[2]);
    return true;
}

size_t ofb__utf8_check(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* ----------------------------------------------------------------- arena */

struct ofb__arena_chunk {
    ofb__arena_chunk *next;
    size_t used, cap;
    /* data follows, 8-aligned */
    max_align_t data[];
};

#define ARENA_CHUNK 65536u

void ofb__arena_init(ofb__arena *ar, const ofb_allocator *a)
{
    ar->head = NULL;
    ar->alloc = a;
}

void ofb__arena_free(ofb__arena *ar)
{
    ofb__arena_chunk *c = ar->head;
    while (c) {
        ofb__arena_chunk *next = c->next;
        ofb__free(ar->alloc, c);
        c = next;
    }
    ar->head = NULL;
}

void *ofb__arena_alloc(ofb__arena *ar, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    ofb__arena_chunk *c = ar->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
        /* Big requests get a chunk of their own, behind the current one,
         * so the current chunk's free space is not wasted. */
        c = ofb__malloc(ar->alloc, sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        if (ar->head && cap != ARENA_CHUNK) {
            c->next = ar->head->next;
            ar->head->next = c;
        } else {
            c->next = ar->head;
            ar->head = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

char *ofb__arena_strndup(ofb__arena *ar, const char *s, size_t n)
{
    char *d = ofb__arena_alloc(ar, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *ofb__arena_strdup(ofb__arena *ar, const char *s)
{
    if (!s)
        s = "";
    return ofb__arena_strndup(ar, s, strlen(s));
}

/* ------------------------------------------------------------------- map */

uint32_t ofb__hash(const char *s, size_t len)
{
    /* FNV-1a: ids are short, this is cheap and spreads well enough. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static int map_resize(ofb__map *m, const ofb_allocator *a, uint32_t ncap)
{
    const char **keys = ofb__calloc(a, ncap, sizeof *keys);
    uint32_t *vals = ofb__malloc(a, (size_t)ncap * sizeof *vals);
    uint32_t *hashes = ofb__malloc(a, (size_t)ncap * sizeof *hashes);
    if (!keys || !vals || !hashes) {
        ofb__free(a, keys);
        ofb__free(a, vals);
        ofb__free(a, hashes);
        return OFB_ENOMEM;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        uint32_t j = m->hashes[i] & (ncap - 1);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
        hashes[j] = m->hashes[i];
    }
    ofb__free(a, m->keys);
    ofb__free(a, m->vals);
    ofb__free(a, m->hashes);
    m->keys = keys;
    m->vals = vals;
    m->hashes = hashes;
    m->cap = ncap;
    return OFB_OK;
}

int ofb__map_put(ofb__map *m, const ofb_allocator *a, const char *key,
                 uint32_t val)
{
    if ((uint64_t)(m->len + 1) * 4 > (uint64_t)m->cap * 3) {
        if (m->cap >= (1u << 30))
            return OFB_ELIMIT;
        int rc = map_resize(m, a, m->cap ? m->cap * 2 : 16);
        if (rc)
            return rc;
    }
    size_t len = strlen(key);
    uint32_t h = ofb__hash(key, len), j = h & (m->cap - 1);
    while (m->keys[j]) {
        if (m->hashes[j] == h && strcmp(m->keys[j], key) == 0) {
            m->vals[j] = val;
            return OFB_OK;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->hashes[j] = h;
    m->len++;
    return OFB_OK;
}

uint32_t ofb__map_getn(const ofb__map *m, const char *key, size_t len)
{
    if (!m->cap)
        return OFB__NONE;
    uint32_t h = ofb__hash(key, len), j = h & (m->cap - 1);
    while (m->keys[j]) {
        if (m->hashes[j] == h && strncmp(m->keys[j], key, len) == 0 &&
            m->keys[j][len] == '\0')
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return OFB__NONE;
}

uint32_t ofb__map_get(const ofb__map *m, const char *key)
{
    return ofb__map_getn(m, key, strlen(key));
}

void ofb__map_free(ofb__map *m, const ofb_allocator *a)
{
    ofb__free(a, m->keys);
    ofb__free(a, m->vals);
    ofb__free(a, m->hashes);
    m->keys = NULL;
    m->vals = NULL;
    m->hashes = NULL;
    m->cap = m->len = 0;
}

/* ---------------------------------------------------------------- buffer */

void ofb__buf_init(ofb__buf *b, const ofb_allocator *a)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->alloc = a;
}

int ofb__buf_add(ofb__buf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return OFB_ELIMIT;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
        char *d = ofb__realloc(b->alloc, b->data, cap);
        if (!d)
            return OFB_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return OFB_OK;
}

int ofb__buf_adds(ofb__buf *b, const char *s)
{
    return ofb__buf_add(b, s, strlen(s));
}

int ofb__buf_addc(ofb__buf *b, char c) { return ofb__buf_add(b, &c, 1); }

int ofb__buf_addf(ofb__buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return OFB_EINVAL;
    if ((size_t)n < sizeof small)
        return ofb__buf_add(b, small, (size_t)n);
    /* Too long for the stack buffer: format straight into the buffer. */
    size_t old = b->len;
    int rc = ofb__buf_add(b, NULL, 0);
    if (rc == OFB_OK && b->cap - b->len < (size_t)n + 1) {
        size_t cap = b->len + (size_t)n + 1;
        char *d = ofb__realloc(b->alloc, b->data, cap);
        if (!d)
            return OFB_ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + old, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len = old + (size_t)n;
    return OFB_OK;
}

int ofb__buf_add_quoted(ofb__buf *b, const char *s)
{
    int rc = ofb__buf_addc(b, '"');
    for (const char *p = s; rc == OFB_OK && *p; p++) {
        switch (*p) {
        case '"': rc = ofb__buf_add(b, "\\\"", 2); break;
        case '\\': rc = ofb__buf_add(b, "\\\\", 2); break;
        case '\n': rc = ofb__buf_add(b, "\\n", 2); break;
        case '\t': rc = ofb__buf_add(b, "\\t", 2); break;
        default: rc = ofb__buf_addc(b, *p); break;
        }
    }
    if (rc == OFB_OK)
        rc = ofb__buf_addc(b, '"');
    return rc;
}

void ofb__buf_free(ofb__buf *b)
{
    ofb__free(b->alloc, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
