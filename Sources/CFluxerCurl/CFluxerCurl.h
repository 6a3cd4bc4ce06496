// CFluxerCurl: typed, one-call wrappers around the parts of libcurl that Swift cannot call, because they are
// variadic (curl_easy_setopt, curl_easy_getinfo) or reach into a struct whose trailing field is larger than
// declared (struct curl_sockaddr). Every symbol carries the `fluxer_curl_` prefix. No policy lives here: which
// options are set, limits, address checks and error mapping are the HTTPClient module's job.
#ifndef CFLUXERCURL_H
#define CFLUXERCURL_H

// The GCC type-checking macros wrap curl_easy_setopt in statement expressions; the wrappers below are typed
// already, so the checks add nothing.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <sys/socket.h>

/// curl_easy_setopt for a `long` option (CURLOPTTYPE_LONG and CURLOPTTYPE_VALUES).
static inline CURLcode fluxer_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for a `curl_off_t` option (CURLOPTTYPE_OFF_T).
static inline CURLcode fluxer_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for a string option (CURLOPTTYPE_STRINGPOINT); libcurl copies the string (NULL resets it).
static inline CURLcode fluxer_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for a pointer option (CURLOPTTYPE_OBJECTPOINT, CURLOPTTYPE_SLISTPOINT, CURLOPTTYPE_CBPOINT).
static inline CURLcode fluxer_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// curl_easy_setopt for CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION (both take a curl_write_callback).
static inline CURLcode fluxer_curl_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

/// curl_easy_setopt for CURLOPT_OPENSOCKETFUNCTION.
static inline CURLcode fluxer_curl_setopt_opensocket_callback(CURL *handle, curl_opensocket_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, callback);
}

/// curl_easy_getinfo for a `long` item (CURLINFO_LONG).
static inline CURLcode fluxer_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// The address inside a struct curl_sockaddr. The struct declares a `struct sockaddr`, but libcurl stores an
/// address of up to `addrlen` bytes there (a sockaddr_in6 is 28), so Swift must read it through this pointer
/// rather than copy the declared 16-byte field.
static inline const struct sockaddr *fluxer_curl_sockaddr_address(const struct curl_sockaddr *address) {
    return &address->addr;
}

#endif
