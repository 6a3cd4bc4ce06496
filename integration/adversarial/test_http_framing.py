"""Checklist §2.2, H1–H27 and H32, as raw bytes over loopback sockets.

Each framing-error case asserts three things: the status from the checklist's "Expected" column (or the server's
documented stricter choice, README "HTTP behaviour"), that the server then closes the connection (FIN or RST
within 3 s; RFC 9112 §6.3 "respond with 400 and then close"), and that a fresh connection is served
(GET /healthz → 200). Smuggling cases also assert that no second response appears.
"""

import time

import pytest

from conftest import BODY_TIMEOUT_MS, Closed, RawClient, exchange, healthz_ok

H = b"Host: 127.0.0.1\r\n"
GET = b"GET /healthz HTTP/1.1\r\n" + H
POST = b"POST /healthz HTTP/1.1\r\n" + H  # /healthz is GET-only: a POST that gets past the parser is a 405


def req(head_lines, body=b"", request_line=b"POST /auth/login HTTP/1.1", host=True):
    head = request_line + b"\r\n" + (H if host else b"")
    for line in head_lines:
        head += line + b"\r\n"
    return head + b"\r\n" + body


def case(cid, payload, status, **kw):
    return pytest.param(payload, status, kw, id=cid)


def check_rejected(server, payload, expected, smuggle_marker=None):
    """One bad request on a fresh connection: expected status, then closed, then a fresh connection is served."""
    resp, c = exchange(server.port, payload)
    try:
        assert resp is not None, "the server closed without answering"
        statuses = expected if isinstance(expected, (set, tuple, list)) else {expected}
        assert resp.status in statuses, f"got {resp.status} {resp.reason}: {resp.body[:300]!r}"
        assert resp.header("Connection") == "close", resp.headers
        if smuggle_marker is not None:
            assert smuggle_marker not in c.buf
        how = c.wait_closed(3.0)
        assert how in ("FIN", "RST"), "connection still open 3 s after a framing error"
        # Nothing after the error response: a smuggled request must not have been answered.
        assert b"HTTP/1.1" not in c.buf, c.buf[:300]
    finally:
        c.close()
    assert server.alive(), server.log_tail()
    assert healthz_ok(server.port), "a fresh connection is not served after the error"
    return resp


# ---------------------------------------------------------------------------------------------------------------
# H1–H8: message framing (Content-Length / Transfer-Encoding / chunked), request smuggling.

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

FRAMING = [
    # H1 — CL + TE together: 400 + close (choice; RFC 9112 §6.3 item 3 "ought to be handled as an error").
    case("H1-cl-and-te", req([b"Content-Length: 5", b"Transfer-Encoding: chunked"], b"0\r\n\r\n" + SMUGGLED), 400),
    case("H1-te-then-cl", req([b"Transfer-Encoding: chunked", b"Content-Length: 5"], b"0\r\n\r\n" + SMUGGLED), 400),
    case("H1-cl-and-te-GET", req([b"Content-Length: 5", b"Transfer-Encoding: chunked"], b"0\r\n\r\n",
                                 request_line=b"GET /healthz HTTP/1.1"), 400),
    case("H1-cl-and-kelvin-te", req([b"Content-Length: 5", b"Transfer-Encoding: chun\xe2\x84\xaaed"],
                                    b"0\r\n\r\n" + SMUGGLED), 400),  # §2.3 KELVIN SIGN: non-ASCII → 400
    # H2 — differing duplicate CL, list CL: 400 + close (MUST).
    case("H2-two-cl-differ", req([b"Content-Length: 5", b"Content-Length: 6"], b"hello!"), 400),
    case("H2-cl-list-differ", req([b"Content-Length: 5, 6"], b"hello!"), 400),
    # H3 — identical duplicate CL: 400 (choice).
    case("H3-two-cl-same", req([b"Content-Length: 5", b"Content-Length: 5"], b"hello"), 400),
    case("H3-cl-list-same", req([b"Content-Length: 5, 5"], b"hello"), 400),
    # H4 — invalid CL values: 400 + close.
    *[case(f"H4-cl-{name}", req([b"Content-Length: " + v], b"hello"), 400) for name, v in [
        ("plus", b"+5"), ("minus-zero", b"-0"), ("minus-one", b"-1"), ("hex", b"0x5"), ("space-inside", b"5 5"),
        ("underscore", b"1_0"), ("empty", b""), ("overflow", b"99999999999999999999"), ("leading-zero", b"0200"),
        ("alpha", b"five"), ("trailing-comma", b"5,"), ("fullwidth-digit", b"\xef\xbc\x95"),
    ]],
    # H5 — TE must be exactly one `chunked`; chunked not final → 400; unknown coding → 501 (README).
    case("H5-te-gzip-chunked", req([b"Transfer-Encoding: gzip, chunked"], b"0\r\n\r\n"), 501),
    case("H5-te-chunked-gzip", req([b"Transfer-Encoding: chunked, gzip"], b"0\r\n\r\n"), 400),
    case("H5-te-identity", req([b"Transfer-Encoding: identity"], b"0\r\n\r\n"), {400, 501}),
    case("H5-te-xchunked", req([b"Transfer-Encoding: xchunked"], b"0\r\n\r\n"), {400, 501}),
    case("H5-te-vtab-chunked", req([b"Transfer-Encoding: \x0bchunked"], b"0\r\n\r\n"), 400),
    case("H5-te-leading-comma", req([b"Transfer-Encoding: , chunked"], b"0\r\n\r\n"), {400, 501}),
    case("H5-te-two-headers", req([b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"], b"0\r\n\r\n"), {400, 501}),
    case("H5-te-chunked-chunked", req([b"Transfer-Encoding: chunked, chunked"], b"0\r\n\r\n"), {400, 501}),
    case("H5-te-empty", req([b"Transfer-Encoding: "], b"0\r\n\r\n"), {400, 501}),
    # H6 — TE in HTTP/1.0: 400 + close (choice).
    case("H6-te-in-http10", req([b"Transfer-Encoding: chunked"], b"0\r\n\r\n", request_line=b"POST /auth/login HTTP/1.0"), 400),
    # H7 — bad chunk sizes: 400 + close.
    *[case(f"H7-chunk-size-{name}", req([b"Transfer-Encoding: chunked", b"Content-Type: application/json"],
                                        size + b"\r\nhello\r\n0\r\n\r\n"), 400) for name, size in [
        ("0x", b"0x5"), ("plus", b"+5"), ("minus", b"-1"), ("underscore", b"5_0"), ("leading-space", b" 5"),
        ("trailing-space", b"5 "), ("empty", b""), ("17-hex-digits", b"00000000000000005"), ("9-hex-digits", b"000000005"),
        ("bare-semicolon", b"5;"), ("nul-in-ext", b"5;a=\x00"), ("bare-cr", b"5\r"), ("non-hex", b"g"),
        ("ext-1k", b"5;" + b"a" * 2000),
    ]],
    # H8 — chunk data longer than its size / not followed by CRLF.
    case("H8-chunk-data-too-long", req([b"Transfer-Encoding: chunked"], b"5\r\nhello!!\r\n0\r\n\r\n"), 400),
    case("H8-chunk-no-crlf", req([b"Transfer-Encoding: chunked"], b"3\r\nxxx__1a\r\n0\r\n\r\n"), 400),
    case("H8-chunk-lf-only", req([b"Transfer-Encoding: chunked"], b"3\r\nxxx\n0\r\n\r\n"), 400),
    case("H8-trailer-line-without-colon", req([b"Transfer-Encoding: chunked"], b"0\r\nXX\r\n\r\n"), 400),
    case("H8-last-chunk-cr-x", req([b"Transfer-Encoding: chunked"], b"0\r\n\rX\r\n\r\n"), 400),
    case("H8-chunk-data-crx", req([b"Transfer-Encoding: chunked"], b"3\r\nxxx\rX0\r\n\r\n"), 400),
]


@pytest.mark.parametrize("payload,expected,kw", FRAMING)
def test_H1_to_H8_framing_rejected_and_closed(server, payload, expected, kw):
    resp = check_rejected(server, payload, expected, smuggle_marker=b"/smuggled")
    if resp.status in (200, 405):
        pytest.fail(f"accepted as a valid message ({resp.status}); the smuggled bytes were not a second response")


def test_H5_te_chunked_with_trailing_ows_is_chunked(server):
    """H5: `chunked ` (trailing OWS, stripped per RFC 9110 §5.5) is plain chunked: the empty chunked body is one
    message and the bytes after it are the next pipelined request, answered in order, not a smuggled one."""
    with RawClient(server.port) as c:
        c.send(req([b"Transfer-Encoding: chunked ", b"Content-Type: application/json"], b"0\r\n\r\n" + GET + b"\r\n"))
        r1, r2 = c.read_response(), c.read_response()
        assert r1.status == 400 and r1.json()["code"] == "INVALID_FORM_BODY", (r1.status, r1.body)
        assert r2.status == 200 and r2.json() == {"status": "ok"}


def test_H5_kelvin_te_never_chunked(server):
    """§2.3: `chun\\u212Aed` must not be case-folded to `chunked`. Non-ASCII in the head → 400 + close."""
    payload = req([b"Transfer-Encoding: chun\xe2\x84\xaaed"], b"0\r\n\r\n" + SMUGGLED)
    check_rejected(server, payload, {400, 501}, smuggle_marker=b"/smuggled")


def test_H7_valid_chunked_with_extension_accepted(server):
    """Control: a correct chunked body with an extension and uppercase hex is read as one message."""
    body = b'{"email":"nobody@example.com","password":"x"}'
    payload = req([b"Transfer-Encoding: chunked", b"Content-Type: application/json"],
                  b"%X;ext=1\r\n" % len(body) + body + b"\r\n0\r\n\r\n" + GET + b"\r\n")
    with RawClient(server.port) as c:
        c.send(payload)
        r1 = c.read_response()
        r2 = c.read_response()
        assert r1.status == 400 and r1.json()["code"] == "INVALID_FORM_BODY", (r1.status, r1.body)
        assert r2.status == 200 and r2.json() == {"status": "ok"}


def test_H9_trailers_not_merged(server):
    """H9: trailer fields (CL, TE, Host, Authorization) are discarded, never merged into the header section.
    The trailer's Authorization must not authenticate the request; the trailer's CL must not reframe the next one."""
    token = server.seed["token"]
    body = b"{}"
    payload = (b"GET /users/@me HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
               + b"%x\r\n" % len(body) + body + b"\r\n0\r\n"
               + b"Authorization: " + token.encode() + b"\r\nContent-Length: 40\r\nHost: evil.example\r\n"
               + b"Transfer-Encoding: chunked\r\n\r\n" + GET + b"\r\n")
    with RawClient(server.port) as c:
        c.send(payload)
        try:
            r1 = c.read_response()
        except Closed:
            pytest.fail("closed without a response")
        if r1.status == 400:  # rejecting such a trailer is the other allowed answer
            assert c.wait_closed(3.0) in ("FIN", "RST")
        else:
            assert r1.status == 401, f"the trailer's Authorization was used: {r1.status} {r1.body[:200]!r}"
            r2 = c.read_response()
            assert r2.status == 200 and r2.json() == {"status": "ok"}, "the trailer's Content-Length reframed the stream"
    assert healthz_ok(server.port)


# ---------------------------------------------------------------------------------------------------------------
# H10–H16: header syntax.

HEADERS = [
    # H10 — obs-fold → 400 (choice).
    case("H10-obs-fold", GET + b"X-A: v\r\n  continued\r\n\r\n", 400),
    case("H10-obs-fold-tab", GET + b"X-A: v\r\n\tcontinued\r\n\r\n", 400),
    case("H10-obs-fold-te", req([b"Transfer-Encoding:", b" chunked"], b"0\r\n\r\n" + SMUGGLED), 400),
    # H11 — whitespace before the colon → 400 (MUST).
    case("H11-space-before-colon-host", b"GET /healthz HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n", 400),
    case("H11-space-before-colon-te", req([b"Transfer-Encoding : chunked"], b"0\r\n\r\n" + SMUGGLED), 400),
    case("H11-tab-before-colon", GET + b"X-A\t: v\r\n\r\n", 400),
    case("H11-empty-name", GET + b": v\r\n\r\n", 400),
    case("H11-no-colon", GET + b"X-A v\r\n\r\n", 400),
    # H12 — whitespace line between the request-line and the first header → 400 (choice).
    case("H12-space-line-before-headers", b"GET /healthz HTTP/1.1\r\n \r\n" + H + b"\r\n", 400),
    case("H12-leading-space-first-header", b"GET /healthz HTTP/1.1\r\n " + H + b"\r\n", 400),
    # H13 — bare LF line endings → 400 (choice).
    case("H13-bare-lf", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
    case("H13-bare-lf-terminator", GET + b"\n", 400),
    case("H13-mixed-lf", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n\r\n", 400),
    # H14 — bare CR → 400 (MUST reject or replace).
    case("H14-bare-cr-in-line", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX: b\r\n\r\n", 400),
    case("H14-bare-cr-terminator", GET + b"\r\rX\r\n\r\n", 400),
    case("H14-cr-in-request-line", b"GET /healthz\r HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H14-crlf-cr-x", GET + b"\rX: b\r\n\r\n", 400),  # http-garden #30: head terminated on \r\n\rX
    # H15 — NUL / CTL / non-ASCII in names and values → 400.
    *[case(f"H15-{name}", GET + line + b"\r\n\r\n", 400) for name, line in [
        ("nul-in-value", b"X-A: a\x00b"), ("nul-in-name", b"X-\x00A: b"), ("del-in-value", b"X-A: a\x7fb"),
        ("ctl-in-value", b"X-A: a\x01b"), ("esc-in-value", b"X-A: \x1b[31m"), ("non-ascii-name", b"X-\xc3\xa9: b"),
        ("nbsp-around-value", b"X-A: \xa0v\xa0"), ("nel-around-value", b"X-A: \x85v"), ("utf8-value", b"X-A: caf\xc3\xa9"),
        ("long-s-te-name", b"Tran\xc5\xbffer-Encoding: chunked"), ("separator-in-name", b"X(A): b"),
        ("quote-in-name", b'X"A: b'), ("slash-in-name", b"X/A: b"),
    ]],
    # H16 — Host rules → 400 (MUST).
    case("H16-missing-host", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    case("H16-two-hosts", GET + H + b"\r\n", 400),
    case("H16-two-hosts-differ", GET + b"Host: evil.example\r\n\r\n", 400),
    case("H16-host-list", b"GET /healthz HTTP/1.1\r\nHost: a, b\r\n\r\n", 400),
    case("H16-host-userinfo", b"GET /healthz HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
    case("H16-host-path", b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    case("H16-host-empty", b"GET /healthz HTTP/1.1\r\nHost: \r\n\r\n", 400),
    *[case(f"H16-host-{name}", b"GET /healthz HTTP/1.1\r\nHost: " + v + b"\r\n\r\n", 400) for name, v in [
        ("alpha-port", b"a:b"), ("two-ports", b"a:1:2"), ("unclosed-ipv6", b"[::1"), ("stray-bracket", b"a]b"),
        ("empty-ipv6", b"[]"), ("junk-after-ipv6", b"[::1]x"), ("bad-pct", b"a%zz"), ("empty-name-port", b":80"),
        ("bracket-in-name", b"a[b"),
    ]],
    case("H16-host-space", b"GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
]


@pytest.mark.parametrize("payload,expected,kw", HEADERS)
def test_H10_to_H16_header_syntax_rejected_and_closed(server, payload, expected, kw):
    check_rejected(server, payload, expected, smuggle_marker=b"/smuggled")


@pytest.mark.parametrize("payload", [
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", id="H16-host-with-port"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", id="H16-host-ipv6"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: [::1]\r\n\r\n", id="H16-host-ipv6-no-port"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: a:\r\n\r\n", id="H16-host-empty-port"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x%41.example\r\n\r\n", id="H16-host-pct-encoded"),
    pytest.param(b"GET /healthz HTTP/1.0\r\n\r\n", id="H16-http10-no-host"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nhOsT: a\r\n\r\n", id="H16-host-name-case"),
    pytest.param(b"\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", id="H12-one-leading-empty-line-ignored"),
    pytest.param(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-A:\r\nX-B:v \t\r\n\r\n", id="H15-empty-and-padded-values"),
])
def test_H12_H16_valid_heads_accepted(server, payload):
    """Controls: the strict parser still accepts what RFC 9112 allows."""
    resp, c = exchange(server.port, payload)
    c.close()
    assert resp is not None and resp.status == 200, resp and (resp.status, resp.body)


# ---------------------------------------------------------------------------------------------------------------
# H17–H21: versions, preface, methods, targets, sizes.

LINE = [
    # H17 — versions: major ≠ 1 → 505; malformed → 400.
    case("H17-http2", b"GET /healthz HTTP/2.0\r\n" + H + b"\r\n", 505),
    case("H17-http3", b"GET /healthz HTTP/3.0\r\n" + H + b"\r\n", 505),
    case("H17-http12", b"GET /healthz HTTP/1.2\r\n" + H + b"\r\n", 505),  # README: any version but 1.0/1.1
    case("H17-http011", b"GET /healthz HTTP/01.1\r\n" + H + b"\r\n", 400),
    case("H17-lowercase-http", b"GET /healthz http/1.1\r\n" + H + b"\r\n", 400),
    case("H17-http1", b"GET /healthz HTTP/1\r\n" + H + b"\r\n", 400),
    case("H17-http-space", b"GET /healthz HTTP/ 1.1\r\n" + H + b"\r\n", 400),
    case("H17-http09-no-version", b"GET /healthz\r\n\r\n", 400),
    case("H17-extra-token", b"GET /healthz HTTP/1.1 x\r\n" + H + b"\r\n", 400),
    case("H17-double-space", b"GET  /healthz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H17-trailing-space", b"GET /healthz HTTP/1.1 \r\n" + H + b"\r\n", 400),
    # H18 — HTTP/2 preface → 400/505 + close.
    case("H18-h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {400, 505}),
    # H19 — methods: unknown → 501; lowercase → 501/400; 100 KB method → 501/400.
    case("H19-space-in-method", b"GE T /healthz HTTP/1.1\r\n" + H + b"\r\n", {400, 501}),
    case("H19-lowercase-get", b"get /healthz HTTP/1.1\r\n" + H + b"\r\n", {400, 501}),
    case("H19-unknown-method", b"FOO /healthz HTTP/1.1\r\n" + H + b"\r\n", 501),
    case("H19-long-method", b"A" * 100_000 + b" /healthz HTTP/1.1\r\n" + H + b"\r\n", {400, 501}),
    case("H19-method-ctl", b"G\x01T /healthz HTTP/1.1\r\n" + H + b"\r\n", 400),
    # H20 — targets → 400.
    case("H20-space-in-target", b"GET /heal thz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-nul-in-target", b"GET /heal\x00thz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-del-in-target", b"GET /heal\x7fthz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-non-ascii-target", b"GET /heal\xeethz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-fragment", b"GET /healthz#frag HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-asterisk-get", b"GET * HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-relative-target", b"GET healthz HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-empty-target", b"GET  HTTP/1.1\r\n" + H + b"\r\n", 400),
    case("H20-tab-in-target", b"GET /heal\tthz HTTP/1.1\r\n" + H + b"\r\n", 400),
    # H21 — sizes: 100 KB URL → 414; 100 KB header value / 10,000 headers / 100 KB name → 431.
    case("H21-100k-url", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
    case("H21-100k-header-value", GET + b"X-A: " + b"v" * 100_000 + b"\r\n\r\n", 431),
    case("H21-10000-headers", GET + b"".join(b"X-%d: v\r\n" % i for i in range(10_000)) + b"\r\n", 431),
    case("H21-100k-header-name", GET + b"X" * 100_000 + b": v\r\n\r\n", 431),
    case("H21-101-headers", GET + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431),
    case("H21-17k-header-section", GET + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(17)) + b"\r\n", 431),
    case("H21-8193-request-line", b"GET /" + b"a" * (8193 - len(b"GET / HTTP/1.1")) + b" HTTP/1.1\r\n" + H + b"\r\n", 414),
]


@pytest.mark.parametrize("payload,expected,kw", LINE)
def test_H17_to_H21_request_line_and_limits(server, payload, expected, kw):
    check_rejected(server, payload, expected)


def test_H17_http12_served_as_11_or_505(server):
    """H17: `HTTP/1.2` may be served as 1.1 or refused with 505 (the server documents 505); never a 400."""
    resp, c = exchange(server.port, b"GET /healthz HTTP/1.2\r\n" + H + b"\r\n")
    c.close()
    assert resp is not None and resp.status in (200, 505)
    assert healthz_ok(server.port)


def test_H19_known_method_not_allowed_405_with_allow(server):
    """H19: a known method the route doesn't implement → 405 with `Allow` (RFC 9110 §15.5.6); keep-alive survives."""
    with RawClient(server.port) as c:
        for method in (b"DELETE", b"PUT", b"PATCH", b"POST"):
            c.send(method + b" /healthz HTTP/1.1\r\n" + H + b"Content-Length: 0\r\n\r\n")
            r = c.read_response()
            assert r.status == 405, (method, r.status)
            allow = {m.strip() for m in (r.header("Allow") or "").split(",")}
            assert "GET" in allow, r.headers
        c.send(GET + b"\r\n")
        assert c.read_response().status == 200


@pytest.mark.parametrize("method", [b"CONNECT", b"TRACE"])
def test_H19_connect_trace_refused(server, method):
    """H19: CONNECT / TRACE are never executed (no tunnel, no echo): 501, the server implements neither."""
    target = b"127.0.0.1:80" if method == b"CONNECT" else b"/healthz"
    resp, c = exchange(server.port, method + b" " + target + b" HTTP/1.1\r\n" + H + b"\r\n")
    c.close()
    assert resp is not None and resp.status == 501, resp and resp.status  # not implemented at all
    assert b"TRACE" not in resp.body  # TRACE must not echo the request
    assert healthz_ok(server.port)


def test_H20_absolute_form_accepted(server):
    """H20: absolute-form is accepted (RFC 9112 §3.2.2); the Host comes from the URI."""
    resp, c = exchange(server.port, b"GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    c.close()
    assert resp is not None and resp.status == 200, resp and resp.status


def test_H21_request_line_at_8000_octets_accepted(server):
    """RFC 9112 §3: a request-line of 8000 octets must be accepted (404, not 414)."""
    target = b"/" + b"a" * (8000 - len(b"GET / HTTP/1.1"))
    line = b"GET " + target + b" HTTP/1.1"
    assert len(line) == 8000
    resp, c = exchange(server.port, line + b"\r\n" + H + b"\r\n")
    c.close()
    assert resp is not None and resp.status == 404, resp and resp.status


def test_H22_huge_content_length_413_without_body(server):
    """H22: CL 999999999 with no body → 413 at once (decided from CL, nothing allocated), then close."""
    t0 = time.monotonic()
    resp = check_rejected(server, req([b"Content-Length: 999999999", b"Content-Type: application/json"]), 413)
    assert time.monotonic() - t0 < 2.5 + 1.0 * 2  # answered before the body timeout, not after it
    assert resp.status == 413


def test_H22_content_length_just_over_limit_413(server):
    """H22: CL = 1 MiB + 1 → 413 before any body byte is read."""
    check_rejected(server, req([b"Content-Length: %d" % (1024 * 1024 + 1), b"Content-Type: application/json"]), 413)


def test_H22_chunked_body_over_limit_413(server):
    """H22 for chunked: a body that grows past 1 MiB chunk by chunk → 413 (or 400) and close."""
    chunk = b"a" * 65536
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 17 + b"0\r\n\r\n"
    with RawClient(server.port) as c:
        c.send(req([b"Transfer-Encoding: chunked", b"Content-Type: application/json"], body))
        try:
            r = c.read_response()
        except Closed:
            pytest.fail("closed without a response")
        assert r.status in (413, 400), r.status
        assert c.wait_closed(3.0) in ("FIN", "RST")
    assert healthz_ok(server.port)


# ---------------------------------------------------------------------------------------------------------------
# H23–H27, H32: connection semantics.


def test_H23_cl0_with_glued_request_is_two_responses(server):
    """H23: `Content-Length: 0` + a glued `GET` → two responses in order; the glued bytes are the next request,
    not a body (no poisoning)."""
    payload = (b"POST /auth/login HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\nContent-Length: 0\r\n\r\n"
               + b"GET /healthz HTTP/1.1\r\n" + H + b"\r\n")
    with RawClient(server.port) as c:
        c.send(payload)
        r1 = c.read_response()
        r2 = c.read_response()
        assert r1.status == 400 and r1.json()["code"] == "INVALID_FORM_BODY", (r1.status, r1.body)
        assert r2.status == 200 and r2.json() == {"status": "ok"}
        assert c.is_open(), "keep-alive connection closed after two good exchanges"


def test_H23_get_with_body_does_not_desync(server):
    """H23 variant (SMUG-GET-CL-BODY-DESYNC): a GET with a CL body that looks like a request is consumed as body."""
    inner = b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n"
    payload = GET + b"Content-Length: %d\r\n\r\n" % len(inner) + inner + GET + b"\r\n"
    with RawClient(server.port) as c:
        c.send(payload)
        r1 = c.read_response()
        assert r1.status in (200, 400), r1.status
        if r1.status == 200:
            r2 = c.read_response()
            assert r2.status == 200 and r2.json() == {"status": "ok"}, "the GET body was parsed as a request"
            assert c.is_open(0.5)
        else:
            assert c.wait_closed(3.0) in ("FIN", "RST")
        assert b"/smuggled" not in c.buf


def test_H24_undersized_body_408_after_body_timeout(server):
    """H24: CL larger than the bytes sent, then idle → 408 + close after the body timeout (2 s here)."""
    with RawClient(server.port, timeout=10) as c:
        c.send(req([b"Content-Length: 100", b"Content-Type: application/json"], b'{"email":'))
        t0 = time.monotonic()
        try:
            r = c.read_response(timeout=BODY_TIMEOUT_MS / 1000 + 4)
        except Closed as closed:
            pytest.fail(f"closed without 408 ({closed.how})")
        elapsed = time.monotonic() - t0
        assert r.status == 408, r.status
        assert r.header("Connection") == "close"
        assert BODY_TIMEOUT_MS / 1000 - 0.5 <= elapsed <= BODY_TIMEOUT_MS / 1000 + 3, elapsed
        assert c.wait_closed(3.0) in ("FIN", "RST")
    assert healthz_ok(server.port)


def test_H25_three_pipelined_requests_in_order(server):
    """H25: three requests in one send() → three responses in order; an error (404) on #2 does not drop #3."""
    payload = (GET + b"X-N: 1\r\n\r\n"
               + b"GET /api/v1/does-not-exist HTTP/1.1\r\n" + H + b"\r\n"
               + b"GET /.well-known/oauth-authorization-server HTTP/1.1\r\n" + H + b"\r\n")
    with RawClient(server.port) as c:
        assert c.send(payload)
        r1, r2, r3 = c.read_response(), c.read_response(), c.read_response()
        assert (r1.status, r2.status, r3.status) == (200, 404, 200)
        assert r1.json() == {"status": "ok"}
        assert r2.json()["code"] == "NOT_FOUND"
        assert "token_endpoint" in r3.json()
        assert c.is_open(0.5)


def test_H25_pipelined_with_handler_work_in_order(server):
    """H25: pipelined requests that go to the worker pool (DB reads) still come back in order."""
    token = server.seed["token"].encode()
    one = b"GET /users/@me HTTP/1.1\r\n" + H + b"Authorization: " + token + b"\r\n\r\n"
    payload = one + GET + b"\r\n" + b"GET /readyz HTTP/1.1\r\n" + H + b"\r\n" + one + GET + b"\r\n"
    with RawClient(server.port) as c:
        c.send(payload)
        got = [c.read_response() for _ in range(5)]
        assert [r.status for r in got] == [200] * 5
        assert got[0].json()["email"] == server.seed["email"]
        assert got[1].json() == {"status": "ok"}
        assert got[2].json()["status"] == "ready"
        assert got[3].json()["email"] == server.seed["email"]


def test_H25_pipelined_then_bad_request_answers_good_ones_first(server):
    """H25 / http-garden #45: a valid request followed by an invalid one → the valid one is answered, then 400 + close."""
    payload = GET + b"\r\n" + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: \x00\r\n\r\n"
    with RawClient(server.port) as c:
        c.send(payload)
        r1 = c.read_response()
        r2 = c.read_response()
        assert (r1.status, r2.status) == (200, 400)
        assert c.wait_closed(3.0) in ("FIN", "RST")


@pytest.mark.parametrize("payload,what", [
    (GET + b"Connection: close\r\n\r\n", "HTTP/1.1 Connection: close"),
    (b"GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0 default"),
    (b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", "HTTP/1.0 with Host"),
    (GET + b"Connection: keep-alive, close\r\n\r\n", "close among other tokens"),
    (GET + b"Connection: CLOSE\r\n\r\n", "case-insensitive close"),
], ids=["H26-close-11", "H26-http10-default", "H26-http10-host", "H26-close-list", "H26-close-uppercase"])
def test_H26_connection_close_then_fin(server, payload, what):
    """H26: the response carries `Connection: close`, then FIN (RFC 9112 §9.6, §9.3)."""
    with RawClient(server.port) as c:
        c.send(payload)
        r = c.read_response()
        assert r.status == 200, what
        assert "close" in (r.header("Connection") or "").lower(), (what, r.headers)
        assert c.wait_closed(3.0) == "FIN", what


def test_H26_http10_keep_alive_kept(server):
    """H26 control: HTTP/1.0 with `Connection: keep-alive` stays open and never gets a chunked response."""
    with RawClient(server.port) as c:
        for _ in range(2):
            c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r = c.read_response()
            assert r.status == 200 and r.header("Transfer-Encoding") is None
        assert c.is_open(0.5)


def test_H27_expect_100_continue(server):
    """H27: `Expect: 100-continue` → `100 Continue` (or no interim), then the final response after the body."""
    body = b'{"email":"nobody@example.com"}'
    with RawClient(server.port) as c:
        c.send(b"POST /auth/login HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\n"
               + b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body))
        interim = c.read_response(timeout=3)
        assert interim.status == 100, interim.status
        c.send(body)
        r = c.read_response()
        assert r.status == 400 and r.json()["code"] == "INVALID_FORM_BODY"
        c.send(GET + b"\r\n")
        assert c.read_response().status == 200


def test_H27_expect_100_continue_with_body_already_sent(server):
    """H27: a client that sends the body without waiting gets at most one 100 and one final response."""
    body = b'{"email":"nobody@example.com"}'
    with RawClient(server.port) as c:
        c.send(b"POST /auth/login HTTP/1.1\r\n" + H + b"Content-Type: application/json\r\n"
               + b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(body) + body + GET + b"\r\n")
        interims, r = c.read_final()
        assert len(interims) <= 1 and all(i.status == 100 for i in interims)
        assert r.status == 400
        assert c.read_response().status == 200


def test_H27_expect_over_limit_413_not_100(server):
    """H27 + H22: `Expect: 100-continue` with CL over the limit → 413 and no 100 (RFC 9110 §10.1.1)."""
    resp = check_rejected(server, req([b"Content-Length: 99999999", b"Expect: 100-continue",
                                       b"Content-Type: application/json"]), 413)
    assert resp.status == 413


@pytest.mark.parametrize("value", [b"foo", b"100-continue, foo", b""], ids=["foo", "list", "empty"])
def test_H27_unknown_expect_417(server, value):
    """H27: an unknown expectation → 417 (README: any Expect other than 100-continue)."""
    resp, c = exchange(server.port, req([b"Expect: " + value, b"Content-Length: 2", b"Content-Type: application/json"], b"{}"))
    try:
        assert resp is not None and resp.status == 417, resp and resp.status
    finally:
        c.close()
    assert healthz_ok(server.port)


def test_H32_head_has_no_body(server):
    """H32: HEAD → same headers as GET (Content-Length may be kept) and no body bytes; keep-alive continues."""
    with RawClient(server.port) as c:
        c.send(b"HEAD /healthz HTTP/1.1\r\n" + H + b"\r\n" + GET + b"\r\n")
        r1 = c.read_response(head=True)
        assert r1.status == 200
        r2 = c.read_response()  # if HEAD had a body, this would parse garbage
        assert r2.status == 200 and r2.json() == {"status": "ok"}
        assert r1.header("Content-Length") in (None, r2.header("Content-Length"))


def test_H32_204_has_no_content_length_and_no_body(server):
    """H32: 204 (POST /auth/logout) carries no Content-Length / TE and no body (RFC 9110 §8.6)."""
    with RawClient(server.port) as c:
        c.send(b"POST /auth/logout HTTP/1.1\r\n" + H + b"Content-Length: 0\r\n\r\n" + GET + b"\r\n")
        r1 = c.read_response()
        assert r1.status == 204, r1.status
        assert r1.header("Content-Length") is None and r1.header("Transfer-Encoding") is None, r1.headers
        r2 = c.read_response()
        assert r2.status == 200 and r2.json() == {"status": "ok"}


def test_H32_never_cl_and_te_and_no_te_to_http10(server):
    """H32: across a range of responses, never both Content-Length and Transfer-Encoding; no TE to 1.0 clients."""
    token = server.seed["token"].encode()
    targets = [b"/healthz", b"/readyz", b"/metrics", b"/nope", b"/.well-known/oauth-authorization-server",
               b"/oauth2/authorize?client_id=1", b"/users/@me", b"/oauth2/assets/authorize.css"]
    for version in (b"HTTP/1.1", b"HTTP/1.0"):
        for t in targets:
            for auth in (b"", b"Authorization: " + token + b"\r\n"):
                resp, c = exchange(server.port, b"GET " + t + b" " + version + b"\r\n" + H + auth
                                   + b"Connection: close\r\n\r\n")
                c.close()
                assert resp is not None, t
                assert resp.status < 500, (t, resp.status)
                assert not (resp.header("Content-Length") and resp.header("Transfer-Encoding")), (t, resp.headers)
                assert len(resp.all("Content-Length")) <= 1
                if version == b"HTTP/1.0":
                    assert resp.header("Transfer-Encoding") is None, (t, resp.headers)


def test_H34_garbage_and_empty_connections(server):
    """H34 (bonus): binary garbage → 400 or close; an empty connection and CRLF-only don't crash the server."""
    import os as _os
    for payload in (_os.urandom(4096), b"\r\n\r\n\r\n\r\n\r\n\r\n", b"", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):
        with RawClient(server.port) as c:
            c.send(payload)
            try:
                r = c.read_response(timeout=3)
                assert r.status in (400, 408), r.status
            except (Closed, TimeoutError):
                pass
    assert server.alive()
    assert healthz_ok(server.port)
