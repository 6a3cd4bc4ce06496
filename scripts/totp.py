#!/usr/bin/env python3
"""The current TOTP code (RFC 6238: HMAC-SHA-1, 30 s, 6 digits) for a base32 secret: `scripts/totp.py SECRET`.
For the README's mock walk-through (the seeded users' secrets); Python's standard library only."""
import base64, hashlib, hmac, struct, sys, time

secret = sys.argv[1].strip().replace(" ", "").upper()
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
step = int(time.time()) // 30 + (int(sys.argv[2]) if len(sys.argv) > 2 else 0)
digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
offset = digest[-1] & 0x0F
print("%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000))
