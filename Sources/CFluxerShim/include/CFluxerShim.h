// CFluxerShim: only what Swift cannot call directly. Every symbol carries the `fx_` prefix.
// No policy lives here: limits, retries and encodings are Swift's job.
#ifndef CFLUXERSHIM_H
#define CFLUXERSHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sodium.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <qrencode.h>  // QRcode_encodeString / QRcode_free are called from Swift directly
// libpq (Debian libpq-dev installs it under postgresql/). The Postgres module calls it directly: every function it
// uses is a plain C function, so no fx_pg_ wrapper is needed yet.
#include <postgresql/libpq-fe.h>

// ---- sockets and epoll -------------------------------------------------------------------------

/// Readiness bits reported by fx_epoll_wait (mirrors of EPOLLIN etc., so Swift needs no packed struct).
enum {
    FX_EV_IN = 0x001,
    FX_EV_OUT = 0x004,
    FX_EV_ERR = 0x008,
    FX_EV_HUP = 0x010,
    FX_EV_RDHUP = 0x2000,
    FX_EV_EXCLUSIVE = 1 << 28,
};

int fx_epoll_create(void);
int fx_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int fx_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data);
int fx_epoll_del(int epfd, int fd);
/// Waits for events; writes up to `max` (events, data) pairs. Returns the count, 0 on EINTR, -1 on error.
int fx_epoll_wait(int epfd, uint32_t *events, uint64_t *data, int max, int timeout_ms);

int fx_eventfd(void);
int fx_eventfd_signal(int fd);
int fx_eventfd_drain(int fd);

/// Creates a non-blocking, close-on-exec listening socket bound to host:port (IPv4 or IPv6 literal).
/// Returns the fd or -errno.
int fx_listen(const char *host, uint16_t port, int backlog);
/// The bound port of a socket, or -1.
int fx_local_port(int fd);
/// accept4 with SOCK_NONBLOCK|SOCK_CLOEXEC; writes the peer address text into `peer` (NUL-terminated).
/// Returns the fd, or -errno (-EAGAIN when nothing is pending).
int fx_accept(int listen_fd, char *peer, size_t peer_len);
/// Enables TCP_NODELAY.
int fx_set_nodelay(int fd);
/// recv; returns bytes, 0 on EOF, -errno on error (EINTR retried here).
ssize_t fx_recv(int fd, void *buf, size_t len);
/// send with MSG_NOSIGNAL; returns bytes or -errno (EINTR retried here).
ssize_t fx_send(int fd, const void *buf, size_t len);
int fx_close(int fd);
/// shutdown(SHUT_WR), used for a graceful close after the last response.
int fx_shutdown_write(int fd);
/// Sets SO_LINGER to 0 so that close sends RST (used for refusing floods).
int fx_set_linger_zero(int fd);

/// Ignores SIGPIPE process-wide.
void fx_ignore_sigpipe(void);
/// Blocks SIGINT and SIGTERM in the calling thread (call before spawning threads).
int fx_block_term_signals(void);
/// Waits for SIGINT or SIGTERM (previously blocked). Returns the signal number.
int fx_wait_term_signal(void);

/// Clock helpers: monotonic milliseconds and wall-clock milliseconds since the Unix epoch.
uint64_t fx_monotonic_ms(void);
uint64_t fx_monotonic_ns(void);
int64_t fx_wall_ms(void);
/// Formats an IMF-fixdate (RFC 9110 §5.6.7) for the given Unix seconds into buf (>= 30 bytes). Returns length.
int fx_http_date(int64_t unix_seconds, char *buf, size_t len);
/// Names the calling thread (at most 15 bytes are kept).
void fx_set_thread_name(const char *name);
/// Number of online CPUs.
int fx_cpu_count(void);

// ---- SQLite ------------------------------------------------------------------------------------

int fx_sqlite_bind_text(sqlite3_stmt *stmt, int idx, const char *text, int len);
int fx_sqlite_bind_blob(sqlite3_stmt *stmt, int idx, const void *data, int len);
int fx_sqlite_config_busy_timeout(sqlite3 *db, int ms);
/// Process-wide SQLite settings (memory statistics off); call once before the first connection opens.
int fx_sqlite_configure(void);
/// Replaces `db`'s automatic checkpoints with a WAL hook that stores the log's frame count in `*frames` after
/// each commit (on the committing thread); the caller decides when and where to checkpoint.
void fx_sqlite_track_wal_frames(sqlite3 *db, int *frames);

// ---- SHA-256 and HMAC-SHA-256 (our own code, not OpenSSL's: see shim.c) -------------------------

/// SHA-256 one-shot (FIPS 180-4); out must hold 32 bytes. 0 on success, -1 when a pointer is NULL (data may be
/// NULL when len is 0).
int fx_sha256(const void *data, size_t len, uint8_t *out);
/// HMAC-SHA-256 one-shot (RFC 2104; RFC 4231's vectors); out must hold 32 bytes. 0 on success, -1 when a pointer
/// is NULL (key and data may be NULL when their length is 0).
int fx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t *out);
typedef struct fx_hmac_key fx_hmac_key;
/// An HMAC-SHA-256 key with its pad blocks pre-digested; NULL on failure. Free with fx_hmac_sha256_key_free,
/// which wipes it.
fx_hmac_key *fx_hmac_sha256_key_new(const void *key, size_t key_len);
void fx_hmac_sha256_key_free(fx_hmac_key *key);
/// HMAC-SHA-256 of a || b under `key` into out[32]; 0 on success, -1 when a pointer is NULL. Safe from any thread
/// (the key is only read).
int fx_hmac_sha256_keyed(const fx_hmac_key *key, const void *a, size_t a_len, const void *b, size_t b_len, uint8_t *out);
/// For tests and benchmarks only: non-zero makes every SHA-256 in the process use the portable compression
/// function, 0 restores the automatic choice (the SHA extensions when the CPU has them). Digests are the same
/// either way; a call already running finishes on the path it started on.
void fx_sha256_force_portable(int on);
/// 1 when SHA-256 runs on the x86 SHA extensions at this moment, 0 when on the portable code.
int fx_sha256_uses_sha_ni(void);

// ---- OpenSSL -----------------------------------------------------------------------------------

/// SHA-1 HMAC for TOTP (RFC 6238); out must hold 20 bytes.
int fx_hmac_sha1(const void *key, size_t key_len, const void *data, size_t len, uint8_t *out);

// ---- DNS (libresolv) ---------------------------------------------------------------------------

/// One DNS query for the TXT records of `name` (class IN) on a private resolver state (res_ninit), so each call
/// has its own timeout: `timeout_seconds` per try, `attempts` tries. With `nameserver_ipv4` (dotted quad) the query
/// goes to that server and `port` only (tests); NULL uses /etc/resolv.conf. Writes the raw answer message into
/// `answer`; returns its length, or -1 (h_errno-style failures: no such name, no data, timeout).
int fx_dns_query_txt(const char *name, unsigned char *answer, int length, int timeout_seconds, int attempts,
                     const char *nameserver_ipv4, int port);

// ---- libsodium ---------------------------------------------------------------------------------

/// sodium_init(); returns 0 or 1 on success, -1 on failure.
int fx_sodium_init(void);

#endif
