"""A software WebAuthn authenticator (ES256, `none` attestation, user presence and verification set): enough to
register a security key and sign assertions without a browser. CBOR and COSE from the `fido2` package, the key
from `cryptography`."""

import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256

UP, UV, AT = 0x01, 0x04, 0x40


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, origin, rp_id=None):
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle = None
        self.sign_count = 0

    @property
    def id(self):
        return b64u(self.credential_id)

    def _client_data(self, kind, challenge):
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def create(self, options):
        """A PublicKeyCredential (JSON form) answering `PublicKeyCredentialCreationOptionsJSON`."""
        self.rp_id = options.get("rp", {}).get("id") or self.rp_id
        self.user_handle = unb64u(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"])
        cose_key = cbor.encode(dict(ES256.from_cryptography_key(self.key.public_key())))
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose_key
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([UP | UV | AT]) + struct.pack(">I", 0) + attested
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "cross-platform",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": b64u(client_data), "attestationObject": b64u(attestation),
                             "transports": ["usb"]}}

    def get(self, options, challenge=None):
        """A PublicKeyCredential (JSON form) answering `PublicKeyCredentialRequestOptionsJSON`."""
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        rp_id = options.get("rpId") or self.rp_id
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([UP | UV]) + struct.pack(">I", self.sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data), "signature": b64u(signature)}
        if self.user_handle is not None:
            response["userHandle"] = b64u(self.user_handle)
        return {"id": self.id, "rawId": self.id, "type": "public-key", "authenticatorAttachment": "cross-platform",
                "clientExtensionResults": {}, "response": response}
