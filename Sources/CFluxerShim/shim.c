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

// MARK: - SHA-256 and HMAC-SHA-256: our own code, on the SHA extensions when the CPU has them

// Why our own rather than OpenSSL's:
// 1. Memory. The first EVP_MD_fetch makes OpenSSL initialise its default provider and read its configuration,
//    which keeps about 2 MB more of libcrypto resident (1.45 MB when the library is merely loaded, 3.4 MB after
//    that first fetch) in a server whose hot path only hashes tokens. With these functions nothing on the token
//    or startup path calls into OpenSSL; it starts only for what needs it: public-key signatures (WebAuthn, SSO,
//    DPoP; dev mode's mock SSO provider makes a P-256 key at startup) and TOTP's HMAC-SHA-1 (fx_hmac_sha1).
// 2. Speed. A 44-byte SHA-256 cost ~145 ns through OpenSSL's EVP interface on this project's AMD EPYC (with
//    SHA-NI) and 314 ns with libsodium's portable code. Calling the SHA-NI compression function directly, with no
//    provider lookup or context around it, takes ~70 ns, ~45 of them the one compression (its 32 sha256rnds2 form
//    a dependency chain; per block this is as fast as OpenSSL's assembly); a bot token's HMAC of 60 bytes from a
//    prepared key ~190 ns instead of ~335.
//
// The algorithm is FIPS 180-4's: functions §4.1.2, constants §4.2.2, padding §5.1.1, initial value §5.3.3,
// computation §6.2.2. Only the compression function (one or more 64-byte blocks into the eight-word state) has
// two versions, chosen at the first hash:
// - SHA-NI (the x86 SHA extensions; Intel since Goldmont and Ice Lake, AMD since Zen): sha256rnds2 does two
//   rounds, sha256msg1/sha256msg2 extend the message schedule four words at a time. The function carries a target
//   attribute, so the rest of the file is compiled for the baseline CPU, and it is called only when CPUID reports
//   SHA (leaf 7, subleaf 0, EBX bit 29), SSSE3 (leaf 1, ECX bit 9: pshufb, palignr) and SSE4.1 (leaf 1, ECX bit
//   19: the compiler may use it inside that function). These instructions use only the XMM registers, whose state
//   every x86-64 kernel saves, so no XGETBV check is needed.
// - Portable C, written from FIPS 180-4, everywhere else: other CPUs and architectures, and valgrind, which
//   does not report SHA in CPUID.
// HMAC is RFC 2104's, with the key's inner and outer pad blocks compressed once per key (fx_hmac_key); RFC 4231
// gives the test vectors (Tests/FluxerCryptoTests/HMACTests.swift, which also compare both paths with OpenSSL).

/// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes.
static const uint32_t fx_sha256_k[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/// FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes.
static const uint32_t fx_sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t fx_load_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void fx_store_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline uint32_t fx_rotr32(uint32_t x, int n) { return x >> n | x << (32 - n); }

/// Runs the compression function over `count` consecutive 64-byte blocks (FIPS 180-4 §6.2.2 steps 1-4).
typedef void fx_sha256_compress_fn(uint32_t state[8], const uint8_t *blocks, size_t count);

// Both loops are unrolled (so the working variables' shifts become register renaming): a quarter fewer
// instructions and ~15 % less time per block than the loops, for 9 KB of code. Under valgrind this is the path
// that runs, so bench/instructions.sh counts it.
static void fx_sha256_compress_portable(uint32_t state[8], const uint8_t *blocks, size_t count) {
    uint32_t w[64];
    for (; count > 0; count--, blocks += 64) {
        // The message schedule (§6.2.2 step 1), with σ0 and σ1 of §4.1.2 (4.6, 4.7).
        for (int t = 0; t < 16; t++) w[t] = fx_load_be32(blocks + 4 * t);
#ifdef __clang__
#pragma clang loop unroll(full)
#endif
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = fx_rotr32(w[t - 15], 7) ^ fx_rotr32(w[t - 15], 18) ^ w[t - 15] >> 3;
            uint32_t s1 = fx_rotr32(w[t - 2], 17) ^ fx_rotr32(w[t - 2], 19) ^ w[t - 2] >> 10;
            w[t] = s1 + w[t - 7] + s0 + w[t - 16];
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
#ifdef __clang__
#pragma clang loop unroll(full)
#endif
        for (int t = 0; t < 64; t++) {
            // Σ1, Ch, Σ0 and Maj of §4.1.2 (4.2-4.5).
            uint32_t t1 = h + (fx_rotr32(e, 6) ^ fx_rotr32(e, 11) ^ fx_rotr32(e, 25)) + ((e & f) ^ (~e & g))
                + fx_sha256_k[t] + w[t];
            uint32_t t2 = (fx_rotr32(a, 2) ^ fx_rotr32(a, 13) ^ fx_rotr32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1;
            d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
    // The first sixteen words are the block itself: for an HMAC pad block, the key.
    sodium_memzero(w, sizeof w);
}

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

// Intel SDM, SHA256RNDS2 / SHA256MSG1 / SHA256MSG2. The working variables live in two registers, A B E F and
// C D G H (highest dword first); sha256rnds2(cdgh, abef, wk) runs two rounds with W+K taken from wk's two low
// dwords and returns the new A B E F. After those two rounds C D G H are what A B E F were before them (B, C, D
// and F, G, H shift down one each round), so nothing else needs computing. sha256msg1(W[t-16..t-13],
// W[t-12..t-9]) gives W[t-16+i] + σ0(W[t-15+i]) for i = 0..3; adding W[t-7..t-4] and passing the sum with
// W[t-4..t-1] to sha256msg2 adds σ1(W[t-2+i]) (the last two from the words it has just made): W[t..t+3].
__attribute__((target("sha,sse4.1")))
static void fx_sha256_compress_shani(uint32_t state[8], const uint8_t *blocks, size_t count) {
    // state[0..3] is A B C D and state[4..7] E F G H, lowest dword first; reversed, D C B A and H G F E, their
    // high halves make A B E F and their low halves C D G H.
    __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1b);
    __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(state + 4)), 0x1b);
    __m128i abef = _mm_unpackhi_epi64(hgfe, dcba);
    __m128i cdgh = _mm_unpacklo_epi64(hgfe, dcba);
    // Reverses the bytes of each dword: message words are big-endian.
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    for (; count > 0; count--, blocks += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m[4];  // W[4j..4j+3] in m[j % 4]: the schedule's last sixteen words
#ifdef __clang__
#pragma clang loop unroll(full)
#endif
        for (int j = 0; j < 16; j++) {
            if (j < 4) {
                m[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16 * j)), byteswap);
            } else {
                // m[j % 4] still holds W[4j-16..], m[(j+1) % 4] W[4j-12..], m[(j+2) % 4] W[4j-8..], m[(j+3) % 4]
                // W[4j-4..]; palignr takes W[4j-7..4j-4] from the last two.
                __m128i partial = _mm_add_epi32(_mm_sha256msg1_epu32(m[j & 3], m[(j + 1) & 3]),
                                                _mm_alignr_epi8(m[(j + 3) & 3], m[(j + 2) & 3], 4));
                m[j & 3] = _mm_sha256msg2_epu32(partial, m[(j + 3) & 3]);
            }
            __m128i wk = _mm_add_epi32(m[j & 3], _mm_load_si128((const __m128i *)(fx_sha256_k + 4 * j)));
            __m128i abef2 = _mm_sha256rnds2_epu32(cdgh, abef, wk);                            // rounds 4j, 4j+1
            __m128i abef4 = _mm_sha256rnds2_epu32(abef, abef2, _mm_shuffle_epi32(wk, 0x0e));  // rounds 4j+2, 4j+3
            cdgh = abef2;
            abef = abef4;
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }
    _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b));
    _mm_storeu_si128((__m128i *)(state + 4), _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b));
}

static int fx_cpu_has_sha_ni(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int ssse3_sse41 = (ecx & (1u << 9)) && (ecx & (1u << 19));
    // __get_cpuid_count returns 0 when the CPU has no leaf 7.
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return ssse3_sse41 && (ebx & (1u << 29));
}
#endif

static int fx_sha256_portable_forced;
// The compression function in use: NULL until the first hash reads CPUID.
static fx_sha256_compress_fn *fx_sha256_compress_selected;

static fx_sha256_compress_fn *fx_sha256_compress_choose(void) {
#if defined(__x86_64__) || defined(__i386__)
    if (!__atomic_load_n(&fx_sha256_portable_forced, __ATOMIC_RELAXED) && fx_cpu_has_sha_ni())
        return fx_sha256_compress_shani;
#endif
    return fx_sha256_compress_portable;
}

static inline fx_sha256_compress_fn *fx_sha256_compress(void) {
    fx_sha256_compress_fn *f = __atomic_load_n(&fx_sha256_compress_selected, __ATOMIC_RELAXED);
    if (__builtin_expect(f == NULL, 0)) {
        f = fx_sha256_compress_choose();
        // Only if still unset: a concurrent fx_sha256_force_portable wins over this first-use choice.
        fx_sha256_compress_fn *expected = NULL;
        if (!__atomic_compare_exchange_n(&fx_sha256_compress_selected, &expected, f, 0, __ATOMIC_RELAXED,
                                         __ATOMIC_RELAXED))
            f = expected;
    }
    return f;
}

void fx_sha256_force_portable(int on) {
    __atomic_store_n(&fx_sha256_portable_forced, on != 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fx_sha256_compress_selected, fx_sha256_compress_choose(), __ATOMIC_RELAXED);
}

int fx_sha256_uses_sha_ni(void) {
#if defined(__x86_64__) || defined(__i386__)
    return fx_sha256_compress() == fx_sha256_compress_shani;
#else
    return 0;
#endif
}

/// A hash in progress: the state, the bytes hashed so far, and the tail that does not fill a block yet.
typedef struct {
    uint32_t state[8];
    uint64_t length;
    size_t buffered;
    uint8_t buffer[64];
} fx_sha256_ctx;

static void fx_sha256_update(fx_sha256_ctx *c, fx_sha256_compress_fn *compress, const uint8_t *data, size_t len) {
    if (len == 0) return;
    c->length += len;
    if (c->buffered > 0) {
        size_t take = 64 - c->buffered < len ? 64 - c->buffered : len;
        memcpy(c->buffer + c->buffered, data, take);
        c->buffered += take;
        data += take;
        len -= take;
        if (c->buffered < 64) return;
        compress(c->state, c->buffer, 1);
        c->buffered = 0;
    }
    // Whole blocks straight from the input, in one call (the SHA-NI version loads the state once).
    if (len >= 64) {
        compress(c->state, data, len / 64);
        data += len & ~(size_t)63;
        len &= 63;
    }
    if (len > 0) {
        memcpy(c->buffer, data, len);
        c->buffered = len;
    }
}

static void fx_sha256_final(fx_sha256_ctx *c, fx_sha256_compress_fn *compress, uint8_t out[32]) {
    // §5.1.1: a 1 bit, zeros up to 56 bytes mod 64, then the message length in bits as a big-endian 64-bit number.
    uint64_t bits = c->length * 8;
    size_t n = c->buffered;
    c->buffer[n++] = 0x80;
    if (n > 56) {
        memset(c->buffer + n, 0, 64 - n);
        compress(c->state, c->buffer, 1);
        n = 0;
    }
    memset(c->buffer + n, 0, 56 - n);
    fx_store_be32(c->buffer + 56, (uint32_t)(bits >> 32));
    fx_store_be32(c->buffer + 60, (uint32_t)bits);
    compress(c->state, c->buffer, 1);
    for (int i = 0; i < 8; i++) fx_store_be32(out + 4 * i, c->state[i]);
}

static void fx_sha256_digest(fx_sha256_compress_fn *compress, const void *data, size_t len, uint8_t out[32]) {
    fx_sha256_ctx c = {.length = 0, .buffered = 0};
    memcpy(c.state, fx_sha256_iv, sizeof c.state);
    fx_sha256_update(&c, compress, data, len);
    fx_sha256_final(&c, compress, out);
}

int fx_sha256(const void *data, size_t len, uint8_t *out) {
    if ((data == NULL && len > 0) || out == NULL) return -1;
    fx_sha256_digest(fx_sha256_compress(), data, len, out);
    return 0;
}

/// RFC 2104 §4's precomputation: the states after compressing K ⊕ ipad and K ⊕ opad (K zero-padded to 64 bytes,
/// or first hashed when longer). Every MAC starts from copies of them.
struct fx_hmac_key {
    uint32_t inner[8];
    uint32_t outer[8];
};

static void fx_hmac_sha256_prepare(fx_hmac_key *k, fx_sha256_compress_fn *compress, const void *key, size_t key_len) {
    uint8_t block[64] = {0};
    if (key_len > sizeof block) {
        // fx_sha256_digest, with its buffer (the key's last bytes) wiped.
        fx_sha256_ctx c = {.length = 0, .buffered = 0};
        memcpy(c.state, fx_sha256_iv, sizeof c.state);
        fx_sha256_update(&c, compress, key, key_len);
        fx_sha256_final(&c, compress, block);
        sodium_memzero(&c, sizeof c);
    } else if (key_len > 0) {
        memcpy(block, key, key_len);
    }
    for (size_t i = 0; i < sizeof block; i++) block[i] ^= 0x36;
    memcpy(k->inner, fx_sha256_iv, sizeof k->inner);
    compress(k->inner, block, 1);
    for (size_t i = 0; i < sizeof block; i++) block[i] ^= 0x36 ^ 0x5c;
    memcpy(k->outer, fx_sha256_iv, sizeof k->outer);
    compress(k->outer, block, 1);
    sodium_memzero(block, sizeof block);
}

/// H(K ⊕ opad || H(K ⊕ ipad || a || b)) from the precomputed states: the message's blocks, then one block for the
/// outer hash (64 + 32 bytes hashed, so the padded inner digest fills exactly one).
static void fx_hmac_sha256_finish(const fx_hmac_key *k, fx_sha256_compress_fn *compress, const void *a, size_t a_len,
                                  const void *b, size_t b_len, uint8_t out[32]) {
    fx_sha256_ctx c = {.length = 64, .buffered = 0};
    memcpy(c.state, k->inner, sizeof c.state);
    fx_sha256_update(&c, compress, a, a_len);
    fx_sha256_update(&c, compress, b, b_len);
    uint8_t inner[32];
    fx_sha256_final(&c, compress, inner);
    memcpy(c.state, k->outer, sizeof c.state);
    c.length = 64;
    c.buffered = 0;
    fx_sha256_update(&c, compress, inner, sizeof inner);
    fx_sha256_final(&c, compress, out);
    // The working state started as a copy of the key's: whoever reads it can forge MACs.
    sodium_memzero(&c, sizeof c);
    sodium_memzero(inner, sizeof inner);
}

int fx_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t *out) {
    if ((key == NULL && key_len > 0) || (data == NULL && len > 0) || out == NULL) return -1;
    fx_sha256_compress_fn *compress = fx_sha256_compress();
    fx_hmac_key k;
    fx_hmac_sha256_prepare(&k, compress, key, key_len);
    fx_hmac_sha256_finish(&k, compress, data, len, NULL, 0, out);
    sodium_memzero(&k, sizeof k);
    return 0;
}

fx_hmac_key *fx_hmac_sha256_key_new(const void *key, size_t key_len) {
    if (key == NULL && key_len > 0) return NULL;
    fx_hmac_key *k = malloc(sizeof *k);
    if (k == NULL) return NULL;
    fx_hmac_sha256_prepare(k, fx_sha256_compress(), key, key_len);
    return k;
}

void fx_hmac_sha256_key_free(fx_hmac_key *key) {
    if (key == NULL) return;
    sodium_memzero(key, sizeof *key);
    free(key);
}

int fx_hmac_sha256_keyed(const fx_hmac_key *key, const void *a, size_t a_len, const void *b, size_t b_len, uint8_t *out) {
    if (key == NULL || (a == NULL && a_len > 0) || (b == NULL && b_len > 0) || out == NULL) return -1;
    fx_hmac_sha256_finish(key, fx_sha256_compress(), a, a_len, b, b_len, out);
    return 0;
}

// HMAC-SHA-1 stays OpenSSL's: only TOTP (RFC 6238) uses it, never the token path.
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
