// One-call bodies; see CFluxerShim.h for the contract of each function.
#define _GNU_SOURCE
#include "CFluxerShim.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <sodium.h>

int fx_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int fx_epoll_add(int epfd, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data = {.u64 = data}};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int fx_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev = {.events = events, .data = {.u64 = data}};
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev);
}

int fx_epoll_del(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

int fx_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        events[i] = evs[i].events;
        data[i] = evs[i].data.u64;
    }
    return n;
}

int fx_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int fx_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t r;
    do { r = write(fd, &one, sizeof one); } while (r < 0 && errno == EINTR);
    return r == sizeof one || errno == EAGAIN ? 0 : -1;
}

int fx_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t r;
    do { r = read(fd, &value, sizeof value); } while (r < 0 && errno == EINTR);
    return r == sizeof value ? 0 : -1;
}

int fx_listen(const char *host, uint16_t port, int backlog) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    int family;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        family = AF_INET; v4->sin_family = AF_INET; v4->sin_port = htons(port); sl = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        family = AF_INET6; v6->sin6_family = AF_INET6; v6->sin6_port = htons(port); sl = sizeof *v6;
    } else {
        return -EINVAL;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int fx_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) return -1;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

int fx_accept(int listen_fd, char *peer, size_t peer_len) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd;
    do { fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC); }
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    if (peer && peer_len > 0) {
        peer[0] = 0;
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, peer, (socklen_t)peer_len);
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, peer, (socklen_t)peer_len);
    }
    return fd;
}

int fx_set_nodelay(int fd) {
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

ssize_t fx_recv(int fd, void *buf, size_t len) {
    ssize_t r;
    do { r = recv(fd, buf, len, 0); } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

ssize_t fx_send(int fd, const void *buf, size_t len) {
    ssize_t r;
    do { r = send(fd, buf, len, MSG_NOSIGNAL); } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int fx_close(int fd) { return close(fd); }

int fx_shutdown_write(int fd) { return shutdown(fd, SHUT_WR); }

int fx_set_linger_zero(int fd) {
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void fx_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

int fx_block_term_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int fx_wait_term_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {}
    return sig;
}

uint64_t fx_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t fx_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t fx_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fx_http_date(int64_t unix_seconds, char *buf, size_t len) {
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    return (int)strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void fx_set_thread_name(const char *name) {
    char buf[16];
    snprintf(buf, sizeof buf, "%s", name);
    pthread_setname_np(pthread_self(), buf);
}

int fx_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int fx_sqlite_bind_text(sqlite3_stmt *stmt, int idx, const char *text, int len) {
    return sqlite3_bind_text(stmt, idx, text, len, SQLITE_TRANSIENT);
}

int fx_sqlite_bind_blob(sqlite3_stmt *stmt, int idx, const void *data, int len) {
    return sqlite3_bind_blob(stmt, idx, data, len, SQLITE_TRANSIENT);
}

int fx_sqlite_config_busy_timeout(sqlite3 *db, int ms) { return sqlite3_busy_timeout(db, ms); }

// OpenSSL 3 looks providers up on every EVP_sha256()/HMAC() call; fetching the algorithms once (they are
// immutable and thread-safe) keeps the token-hashing hot path free of that lookup.
static EVP_MD *fx_md_sha256;
static EVP_MAC *fx_mac_hmac;
static pthread_once_t fx_fetch_once = PTHREAD_ONCE_INIT;
static void fx_fetch(void) {
    fx_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    fx_mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

// One digest context per thread, reused: token hashing runs on every authenticated request, and allocating and
// freeing a context each time cost as much as the hash itself.
static __thread EVP_MD_CTX *fx_sha256_ctx;

int fx_sha256(const void *data, size_t len, uint8_t *out) {
    pthread_once(&fx_fetch_once, fx_fetch);
    if (!fx_sha256_ctx && !(fx_sha256_ctx = EVP_MD_CTX_new())) return -1;
    unsigned int outlen = 32;
    return EVP_DigestInit_ex(fx_sha256_ctx, fx_md_sha256, NULL) == 1
        && EVP_DigestUpdate(fx_sha256_ctx, data, len) == 1
        && EVP_DigestFinal_ex(fx_sha256_ctx, out, &outlen) == 1 ? 0 : -1;
}

int fx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    pthread_once(&fx_fetch_once, fx_fetch);
    static const uint8_t empty = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(fx_mac_hmac);
    if (!ctx) return -1;
    size_t outlen = 0;
    int ok = EVP_MAC_init(ctx, key_len ? key : &empty, key_len, params) == 1
        && EVP_MAC_update(ctx, data, len) == 1
        && EVP_MAC_final(ctx, out, &outlen, 32) == 1 && outlen == 32;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : -1;
}

/// HMAC-SHA256 under a fixed key (RFC 2104): the digest states after the key's inner and outer pad blocks are
/// computed once, and each MAC copies them, so a MAC costs the message's blocks plus one, with OpenSSL's assembly
/// SHA-256 (bot-token checks run this on every request that carries an unknown token).
struct fx_hmac_key {
    EVP_MD_CTX *inner;
    EVP_MD_CTX *outer;
};

static __thread EVP_MD_CTX *fx_hmac_scratch;

void fx_hmac_sha256_key_free(fx_hmac_key *key) {
    if (!key) return;
    EVP_MD_CTX_free(key->inner);
    EVP_MD_CTX_free(key->outer);
    OPENSSL_cleanse(key, sizeof *key);
    free(key);
}

fx_hmac_key *fx_hmac_sha256_key_new(const void *key, size_t key_len) {
    pthread_once(&fx_fetch_once, fx_fetch);
    uint8_t block[64] = {0};
    if (key_len > sizeof block) {
        if (fx_sha256(key, key_len, block) != 0) return NULL;
    } else if (key_len > 0) {
        memcpy(block, key, key_len);
    }
    uint8_t ipad[64], opad[64];
    for (int i = 0; i < 64; i++) {
        ipad[i] = block[i] ^ 0x36;
        opad[i] = block[i] ^ 0x5c;
    }
    fx_hmac_key *k = calloc(1, sizeof *k);
    int ok = k && (k->inner = EVP_MD_CTX_new()) && (k->outer = EVP_MD_CTX_new())
        && EVP_DigestInit_ex(k->inner, fx_md_sha256, NULL) == 1 && EVP_DigestUpdate(k->inner, ipad, 64) == 1
        && EVP_DigestInit_ex(k->outer, fx_md_sha256, NULL) == 1 && EVP_DigestUpdate(k->outer, opad, 64) == 1;
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
    if (!ok) {
        fx_hmac_sha256_key_free(k);
        return NULL;
    }
    return k;
}

int fx_hmac_sha256_keyed(const fx_hmac_key *key, const void *a, size_t a_len, const void *b, size_t b_len, uint8_t *out) {
    if (!fx_hmac_scratch && !(fx_hmac_scratch = EVP_MD_CTX_new())) return -1;
    uint8_t inner[32];
    unsigned int len = 32;
    int ok = EVP_MD_CTX_copy_ex(fx_hmac_scratch, key->inner) == 1
        && (a_len == 0 || EVP_DigestUpdate(fx_hmac_scratch, a, a_len) == 1)
        && (b_len == 0 || EVP_DigestUpdate(fx_hmac_scratch, b, b_len) == 1)
        && EVP_DigestFinal_ex(fx_hmac_scratch, inner, &len) == 1
        && EVP_MD_CTX_copy_ex(fx_hmac_scratch, key->outer) == 1
        && EVP_DigestUpdate(fx_hmac_scratch, inner, 32) == 1
        && EVP_DigestFinal_ex(fx_hmac_scratch, out, &len) == 1;
    OPENSSL_cleanse(inner, sizeof inner);
    return ok ? 0 : -1;
}

int fx_hmac_sha1(const void *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    unsigned int outlen = 20;
    return HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &outlen) != NULL ? 0 : -1;
}

int fx_sodium_init(void) { return sodium_init(); }

int fx_dns_query_txt(const char *name, unsigned char *answer, int length, int timeout_seconds, int attempts,
                     const char *nameserver_ipv4, int port) {
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return -1;
    state.retrans = timeout_seconds;
    state.retry = attempts;
    if (nameserver_ipv4 != NULL) {
        struct sockaddr_in server;
        memset(&server, 0, sizeof server);
        server.sin_family = AF_INET;
        server.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, nameserver_ipv4, &server.sin_addr) != 1) { res_nclose(&state); return -1; }
        state.nsaddr_list[0] = server;
        state.nscount = 1;
    }
    int n = res_nquery(&state, name, ns_c_in, ns_t_txt, answer, length);
    res_nclose(&state);
    return n;
}

/// Process-wide SQLite settings, before its first use: memory-usage statistics off, so that every allocation of
/// every connection does not take SQLite's global mutex (the connections are used from many threads at once); and
/// no up-front page-cache block per connection (SQLITE_CONFIG_PAGECACHE with no buffer and N = 0): by default each
/// connection allocates room for 20 pages at its first read and threads a free list through all of them, so every
/// page of the block is resident at once, ~87 KB per connection and ~700 KB for a server's connections before a
/// single request (issue 17, idle RSS); pages are then allocated as the cache grows, once each, and reused.
/// Returns SQLite's code (SQLITE_MISUSE when SQLite was already initialized, which leaves the defaults).
static int fx_sqlite_register_vfs(void);

int fx_sqlite_configure(void) {
    int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    int rc1 = sqlite3_config(SQLITE_CONFIG_PAGECACHE, (void *)0, 0, 0);
    int rc2 = fx_sqlite_register_vfs();
    return rc != SQLITE_OK ? rc : rc1 != SQLITE_OK ? rc1 : rc2;
}

static int fx_wal_frames_hook(void *arg, sqlite3 *db, const char *name, int frames) {
    (void)db;
    (void)name;
    __atomic_store_n((int *)arg, frames, __ATOMIC_RELAXED);
    return SQLITE_OK;
}

void fx_sqlite_track_wal_frames(sqlite3 *db, int *frames) {
    // sqlite3_wal_hook replaces the hook sqlite3_wal_autocheckpoint installs: no more checkpoints on commit.
    sqlite3_wal_hook(db, fx_wal_frames_hook, frames);
}

// MARK: - SQLite: the write-ahead log's frames reach the kernel in one write per commit

// SQLite writes each log frame as two pwrite calls (a 24-byte header, then the page), so a commit of 40 pages
// costs 80 system calls before its fsync. This VFS wraps the default one ("unix") and, for log files only,
// gathers contiguous writes in a buffer that goes to the kernel in one pwrite: at the end of a commit frame
// (its header carries the database size, non-zero only on commit frames), before a sync, a read, a truncate, a
// size query or a close, when a write is not contiguous, and when the buffer is full. Readers learn of new
// frames only from the shared-memory index, which SQLite updates after the commit frame has been written, so
// they never see a frame that is still buffered; durability is unchanged because every sync flushes first.
// Every other file (the database, its shared memory, temporary files) is the default VFS's, untouched.

#define FX_WAL_BUFFER (256 * 1024)

typedef struct FxWalFile {
    sqlite3_file base;      // base.pMethods = &fx_wal_io
    sqlite3_file *real;     // the default VFS's file, in the memory right after this struct
    unsigned char *buffer;  // FX_WAL_BUFFER bytes, allocated at the first write
    sqlite3_int64 start;    // file offset of buffer[0]
    int length;             // bytes buffered
    int commitFollows;      // the last write was a commit frame's header: flush after its page
} FxWalFile;

static sqlite3_vfs fx_vfs;
static sqlite3_vfs *fx_real_vfs;

// The default VFS writes at most 0x1ffff bytes per call (a larger amount is masked, and a remainder of 0 is
// reported as a full disk): the buffer goes out in pieces of 31 pages.
#define FX_WAL_CHUNK (31 * 4096)

static int fx_wal_flush(FxWalFile *f) {
    int length = f->length;
    f->length = 0;
    for (int done = 0; done < length;) {
        int piece = length - done < FX_WAL_CHUNK ? length - done : FX_WAL_CHUNK;
        int rc = f->real->pMethods->xWrite(f->real, f->buffer + done, piece, f->start + done);
        if (rc != SQLITE_OK) return rc;
        done += piece;
    }
    return SQLITE_OK;
}

static int fx_wal_close(sqlite3_file *file) {
    FxWalFile *f = (FxWalFile *)file;
    int rc = fx_wal_flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buffer);
    f->buffer = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int fx_wal_read(sqlite3_file *file, void *out, int amount, sqlite3_int64 offset) {
    FxWalFile *f = (FxWalFile *)file;
    int rc = fx_wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amount, offset);
}

static int fx_wal_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    FxWalFile *f = (FxWalFile *)file;
    int commitFollows = f->commitFollows;
    // A frame header is 24 bytes; bytes 4-7 hold the database size in pages after a commit, 0 otherwise.
    const unsigned char *bytes = data;
    f->commitFollows = amount == 24 && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
    if (f->length > 0 && offset == f->start + f->length && f->length + amount <= FX_WAL_BUFFER) {
        memcpy(f->buffer + f->length, data, (size_t)amount);
        f->length += amount;
    } else {
        int rc = fx_wal_flush(f);
        if (rc != SQLITE_OK) return rc;
        if (f->buffer == NULL) f->buffer = malloc(FX_WAL_BUFFER);
        if (f->buffer == NULL || amount > FX_WAL_CHUNK) return f->real->pMethods->xWrite(f->real, data, amount, offset);
        memcpy(f->buffer, data, (size_t)amount);
        f->start = offset;
        f->length = amount;
    }
    // The page after a commit frame's header ends the commit: it goes out now, whatever the sync setting.
    return commitFollows ? fx_wal_flush(f) : SQLITE_OK;
}

static int fx_wal_truncate(sqlite3_file *file, sqlite3_int64 size) {
    FxWalFile *f = (FxWalFile *)file;
    int rc = fx_wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int fx_wal_sync(sqlite3_file *file, int flags) {
    FxWalFile *f = (FxWalFile *)file;
    int rc = fx_wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int fx_wal_file_size(sqlite3_file *file, sqlite3_int64 *size) {
    FxWalFile *f = (FxWalFile *)file;
    int rc = fx_wal_flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int fx_wal_lock(sqlite3_file *file, int level) {
    FxWalFile *f = (FxWalFile *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int fx_wal_unlock(sqlite3_file *file, int level) {
    FxWalFile *f = (FxWalFile *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int fx_wal_check_reserved(sqlite3_file *file, int *out) {
    FxWalFile *f = (FxWalFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int fx_wal_file_control(sqlite3_file *file, int op, void *arg) {
    FxWalFile *f = (FxWalFile *)file;
    if (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_SYNC || op == SQLITE_FCNTL_COMMIT_PHASETWO) {
        int rc = fx_wal_flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int fx_wal_sector_size(sqlite3_file *file) {
    FxWalFile *f = (FxWalFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int fx_wal_device_characteristics(sqlite3_file *file) {
    FxWalFile *f = (FxWalFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

// A log file never uses shared memory or memory mapping; these exist for a complete method table (iVersion 1).
static const sqlite3_io_methods fx_wal_io = {
    1,
    fx_wal_close,
    fx_wal_read,
    fx_wal_write,
    fx_wal_truncate,
    fx_wal_sync,
    fx_wal_file_size,
    fx_wal_lock,
    fx_wal_unlock,
    fx_wal_check_reserved,
    fx_wal_file_control,
    fx_wal_sector_size,
    fx_wal_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

static int fx_vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if ((flags & SQLITE_OPEN_WAL) == 0) {
        // Not a log: the default VFS's file, in place (our size is larger than it needs).
        return fx_real_vfs->xOpen(fx_real_vfs, name, file, flags, outFlags);
    }
    FxWalFile *f = (FxWalFile *)file;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)((unsigned char *)file + ((sizeof(FxWalFile) + 15) & ~(size_t)15));
    int rc = fx_real_vfs->xOpen(fx_real_vfs, name, f->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        // SQLite calls xClose only when pMethods is set; the default VFS has released what it opened.
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &fx_wal_io;
    return SQLITE_OK;
}

static int fx_vfs_delete(sqlite3_vfs *vfs, const char *name, int syncDir) {
    (void)vfs;
    return fx_real_vfs->xDelete(fx_real_vfs, name, syncDir);
}

static int fx_vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs;
    return fx_real_vfs->xAccess(fx_real_vfs, name, flags, out);
}

static int fx_vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int size, char *out) {
    (void)vfs;
    return fx_real_vfs->xFullPathname(fx_real_vfs, name, size, out);
}

static int fx_vfs_randomness(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return fx_real_vfs->xRandomness(fx_real_vfs, size, out);
}

static int fx_vfs_sleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return fx_real_vfs->xSleep(fx_real_vfs, microseconds);
}

static int fx_vfs_current_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return fx_real_vfs->xCurrentTime(fx_real_vfs, out);
}

static int fx_vfs_last_error(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    return fx_real_vfs->xGetLastError ? fx_real_vfs->xGetLastError(fx_real_vfs, size, out) : 0;
}

static int fx_vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    return fx_real_vfs->xCurrentTimeInt64(fx_real_vfs, out);
}

static void *fx_vfs_dl_open(sqlite3_vfs *vfs, const char *name) {
    (void)vfs;
    return fx_real_vfs->xDlOpen(fx_real_vfs, name);
}

static void fx_vfs_dl_error(sqlite3_vfs *vfs, int size, char *out) {
    (void)vfs;
    fx_real_vfs->xDlError(fx_real_vfs, size, out);
}

static void (*fx_vfs_dl_sym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) {
    (void)vfs;
    return fx_real_vfs->xDlSym(fx_real_vfs, handle, symbol);
}

static void fx_vfs_dl_close(sqlite3_vfs *vfs, void *handle) {
    (void)vfs;
    fx_real_vfs->xDlClose(fx_real_vfs, handle);
}

/// Registers the log-buffering VFS as the default, over the one SQLite had (idempotent per process).
static int fx_sqlite_register_vfs(void) {
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (real == NULL) return SQLITE_ERROR;
    if (real == &fx_vfs) return SQLITE_OK;
    fx_real_vfs = real;
    fx_vfs = (sqlite3_vfs){
        .iVersion = 2, .szOsFile = (int)((sizeof(FxWalFile) + 15) & ~(size_t)15) + real->szOsFile,
        .mxPathname = real->mxPathname, .zName = "fx-unix-walbuffer",
        .xOpen = fx_vfs_open, .xDelete = fx_vfs_delete, .xAccess = fx_vfs_access, .xFullPathname = fx_vfs_full_pathname,
        .xDlOpen = fx_vfs_dl_open, .xDlError = fx_vfs_dl_error, .xDlSym = fx_vfs_dl_sym, .xDlClose = fx_vfs_dl_close,
        .xRandomness = fx_vfs_randomness, .xSleep = fx_vfs_sleep, .xCurrentTime = fx_vfs_current_time,
        .xGetLastError = fx_vfs_last_error, .xCurrentTimeInt64 = fx_vfs_current_time_int64,
    };
    return sqlite3_vfs_register(&fx_vfs, 1);
}
