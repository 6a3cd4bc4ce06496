#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, sends one `GET /healthz` on each, reads the answer, and
holds the connections idle (for bench/report.sh's memory row).

Usage: hold_connections.py PORT N [SOURCES] [SECONDS]
  SOURCES: spread the connections' source addresses over 127.0.0.2 … 127.0.0.(1+SOURCES) (default 8), so that
           neither a per-address cap nor one address's ephemeral ports get in the way;
  SECONDS: give up opening after this long (default 120).
Prints `ready OPEN FAILED` on stdout once every connection is open (or failed, or time ran out); then answers
each `check` line on stdin with `open K` (how many the server has not closed) and exits on `quit` or EOF.
Standard library only; one thread, non-blocking sockets, at most 512 connections being opened at once.
"""
import errno
import resource
import select
import selectors
import socket
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
WINDOW = 512


def complete(buffer):
    """Whether `buffer` holds a whole response (headers and Content-Length bytes of body); its status."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return False, None
    head = buffer[:end].decode("latin-1").split("\r\n")
    status = head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else "?"
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return len(buffer) >= end + 4 + length, status


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    sources = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 120.0)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    selector = selectors.DefaultSelector()
    held, failed, started, opening = [], 0, 0, 0
    statuses = {}

    def fail(sock):
        nonlocal failed, opening
        selector.unregister(sock)
        sock.close()
        failed += 1
        opening -= 1

    while (started < n or opening > 0) and time.monotonic() < deadline:
        while started < n and opening < WINDOW:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                sock.bind((f"127.0.0.{2 + started % sources}", 0))
                code = sock.connect_ex(("127.0.0.1", port))
            except OSError as error:
                code = error.errno
            started += 1
            opening += 1
            if code not in (0, errno.EINPROGRESS):
                selector.register(sock, selectors.EVENT_WRITE, None)
                fail(sock)
                continue
            selector.register(sock, selectors.EVENT_WRITE, {"sent": False, "buffer": b""})
        for key, _ in selector.select(timeout=0.5):
            sock, state = key.fileobj, key.data
            if not state["sent"]:
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    fail(sock)
                    continue
                try:
                    sock.send(REQUEST)  # 40 bytes: one send on a fresh socket
                except OSError:
                    fail(sock)
                    continue
                state["sent"] = True
                selector.modify(sock, selectors.EVENT_READ, state)
                continue
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                fail(sock)
                continue
            if not data:
                fail(sock)
                continue
            state["buffer"] += data
            done, status = complete(state["buffer"])
            if done:
                statuses[status] = statuses.get(status, 0) + 1
                selector.unregister(sock)
                opening -= 1
                if status == "200":
                    held.append(sock)
                else:
                    sock.close()
                    failed += 1
    failed += (n - started) + opening
    print(f"ready {len(held)} {failed}", flush=True)
    if set(statuses) - {"200"}:
        print(f"statuses {statuses}", file=sys.stderr, flush=True)

    for line in sys.stdin:
        if line.strip() == "check":
            poller = select.poll()
            for sock in held:
                poller.register(sock, select.POLLIN | select.POLLRDHUP | select.POLLHUP | select.POLLERR)
            closed = sum(1 for _ in poller.poll(0))  # an idle kept-alive connection has nothing to read
            print(f"open {len(held) - closed}", flush=True)
        elif line.strip() == "quit":
            break
    for sock in held:
        sock.close()


if __name__ == "__main__":
    main()
