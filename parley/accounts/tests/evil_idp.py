"""A small OpenID provider on loopback that answers honestly or with one defect on demand: a
wrong nonce, an expired ID token, a foreign audience, a signature by a key it never published,
another issuer, no ID token. Parley's checks are exercised for real (HTTP discovery, JWKS, the
code exchange with the PKCE verifier); the certified provider cannot be made to lie, this one can.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

GOOD = "good"
DEFECTS = ("wrong_nonce", "expired", "foreign_audience", "bad_signature", "other_issuer", "no_id_token")


class EvilIdp:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        # Same key id, never published: a token it signs must fail the signature check.
        self.stranger = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self.mode = GOOD
        self.claims: dict[str, Any] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.pkce_ok: list[bool] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "evil-subject-1",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.claims,
        }
        key = self.key
        if self.mode == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-parley-sent"
        elif self.mode == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.mode == "foreign_audience":
            # `azp` names Parley: only a check of the audience itself refuses this token.
            claims["aud"], claims["azp"] = "some-other-client", self.client_id
        elif self.mode == "other_issuer":
            claims["iss"] = "http://127.0.0.1:1"
        elif self.mode == "bad_signature":
            key = self.stranger
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: Any, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(idp.metadata())
                if url.path == "/jwks":
                    return self._json({"keys": [idp.key.as_dict(private=False)]})
                if url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = q
                    back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                    return None
                return self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = base64.b64encode(f"{idp.client_id}:{idp.client_secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {basic}":
                    return self._json({"error": "invalid_client"}, 401)
                asked = idp.codes.pop(form.get("code", ""), None)
                if asked is None:
                    return self._json({"error": "invalid_grant"}, 400)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                idp.pkce_ok.append(
                    asked.get("code_challenge_method") == "S256"
                    and challenge.rstrip(b"=").decode() == asked.get("code_challenge")
                )
                body: dict[str, Any] = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer"}
                if idp.mode != "no_id_token":
                    body["id_token"] = idp.id_token(asked.get("nonce", ""))
                return self._json(body)

        return Handler

    @contextmanager
    def running(self) -> Iterator[EvilIdp]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
