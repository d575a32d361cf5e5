"""A fake identity provider on loopback: OpenID Connect (discovery, JWKS, an authorize page that signs the next
person in at once, a token endpoint that checks the client, the redirect URI and the PKCE verifier) and
Feishu's web login (authorize, ``authen/v2/oauth/token``, ``authen/v1/user_info``) and
WeCom's (authorize, ``cgi-bin/gettoken``, ``cgi-bin/auth/getuserinfo``) and DingTalk's (authorize, answering
with ``authCode``; ``v1.0/oauth2/userAccessToken``, ``v1.0/contact/users/me``), with switches for the
failures a test wants: an expired code, an ID token for another audience or signed with another key."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.support.loopback_http import QuietHandler, serving

CLIENT_ID = "arena-test-client"
CLIENT_SECRET = "arena-test-secret-" + secrets.token_hex(8)
FEISHU_APP_ID = "cli_test_app"
FEISHU_SECRET = "feishu-secret-" + secrets.token_hex(8)
DINGTALK_APP_ID = "ding-test-app"
DINGTALK_SECRET = "dingtalk-secret-" + secrets.token_hex(8)
WECOM_CORP_ID = "ww-test-corp"
WECOM_SECRET = "wecom-secret-" + secrets.token_hex(8)


@dataclass
class Issued:
    """A code the authorize page gave out, with what the token endpoint must see again."""

    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    person: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeIdp:
    base_url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True))
    # The next person the authorize page signs in (claims for OIDC, a user_info ``data`` for Feishu).
    person: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, Issued] = field(default_factory=dict)
    code_seconds: float = 60.0  # a code older than this is refused (invalid_grant)
    audience: str = CLIENT_ID  # the ``aud`` the next ID token carries
    signer: RSAKey | None = None  # another key (same kid) to sign with: a bad signature
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return self.base_url

    def id_token(self, issued: Issued) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(issued.person.get("sub", "subject")),
            "iat": now,
            "exp": now + 300,
            "nonce": issued.nonce,
            **issued.person,
        }
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.signer or self.key)

    def take_code(self, code: str) -> Issued | None:
        with self.lock:
            self.token_requests += 1
            issued = self.codes.pop(code, None)
        if issued is None or time.monotonic() - issued.at > self.code_seconds:
            return None
        return issued


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@contextmanager
def running_fake_idp() -> Iterator[FakeIdp]:
    fake = FakeIdp()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": fake.issuer,
                        "authorization_endpoint": f"{fake.base_url}/authorize",
                        "token_endpoint": f"{fake.base_url}/token",
                        "jwks_uri": f"{fake.base_url}/jwks",
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                    },
                )
            elif parts.path == "/jwks":
                self._json(200, KeySet([fake.key]).as_dict(private=False))
            elif parts.path in ("/authorize", "/feishu/authorize", "/wecom/authorize", "/dingtalk/authorize"):
                self._authorize(query, "authCode" if parts.path.startswith("/dingtalk") else "code")
            elif parts.path == "/v1.0/contact/users/me":
                issued = fake.codes.get("token:" + self.headers.get("x-acs-dingtalk-access-token", ""))
                if issued is None:
                    self._json(401, {"code": "InvalidAuthentication"})
                else:
                    self._json(200, issued.person)
            elif parts.path == "/open-apis/authen/v1/user_info":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                person = fake.codes.get("token:" + token)
                if person is None:
                    self._json(401, {"code": 99991668, "msg": "invalid access token"})
                else:
                    self._json(200, {"code": 0, "msg": "success", "data": person.person})
            elif parts.path == "/cgi-bin/gettoken":
                good = query.get("corpid") == WECOM_CORP_ID and query.get("corpsecret") == WECOM_SECRET
                self._json(200, {"errcode": 0, "access_token": "wt-ok"} if good else {"errcode": 40001})
            elif parts.path == "/cgi-bin/auth/getuserinfo":
                issued = fake.take_code(query.get("code", "")) if query.get("access_token") == "wt-ok" else None
                self._json(200, {"errcode": 0, **issued.person} if issued else {"errcode": 40029})
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            if self.path == "/token":
                self._oidc_token({k: v[-1] for k, v in parse_qs(raw).items()})
            elif self.path == "/open-apis/authen/v2/oauth/token":
                self._feishu_token(json.loads(raw))
            elif self.path == "/v1.0/oauth2/userAccessToken":
                self._dingtalk_token(json.loads(raw))
            else:
                self._json(404, {"error": "not_found"})

        def _authorize(self, query: dict[str, str], code_name: str) -> None:
            code = secrets.token_urlsafe(16)
            with fake.lock:
                fake.codes[code] = Issued(
                    client_id=query.get("client_id", ""),
                    redirect_uri=query.get("redirect_uri", ""),
                    challenge=query.get("code_challenge", ""),
                    nonce=query.get("nonce", ""),
                    person=dict(fake.person),
                )
            target = f"{query['redirect_uri']}?{urlencode({code_name: code, 'state': query.get('state', '')})}"
            self.send_body(302, "text/plain", b"", {"Location": target})

        def _oidc_token(self, form: dict[str, str]) -> None:
            basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {basic}":
                self._json(401, {"error": "invalid_client"})
                return
            issued = fake.take_code(form.get("code", ""))
            if (
                issued is None
                or issued.client_id != CLIENT_ID
                or issued.redirect_uri != form.get("redirect_uri")
                or s256(form.get("code_verifier", "")) != issued.challenge
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(
                200,
                {
                    "access_token": "at-" + secrets.token_hex(8),
                    "token_type": "Bearer",
                    "id_token": fake.id_token(issued),
                },
            )

        def _feishu_token(self, body: dict[str, Any]) -> None:
            issued = fake.take_code(str(body.get("code", "")))
            if (
                body.get("client_id") != FEISHU_APP_ID
                or body.get("client_secret") != FEISHU_SECRET
                or issued is None
                or s256(str(body.get("code_verifier", ""))) != issued.challenge
            ):
                self._json(400, {"code": 20003, "error": "invalid_grant"})
                return
            token = "u-" + secrets.token_hex(8)
            with fake.lock:
                fake.codes["token:" + token] = issued
            self._json(200, {"code": 0, "access_token": token, "token_type": "Bearer", "expires_in": 7200})

        def _dingtalk_token(self, body: dict[str, Any]) -> None:
            issued = fake.take_code(str(body.get("code", "")))
            if (
                body.get("clientId") != DINGTALK_APP_ID
                or body.get("clientSecret") != DINGTALK_SECRET
                or body.get("grantType") != "authorization_code"
                or issued is None
            ):
                self._json(400, {"code": "invalidCode", "message": "bad code"})
                return
            token = "dt-" + secrets.token_hex(8)
            with fake.lock:
                fake.codes["token:" + token] = issued
            self._json(200, {"accessToken": token, "refreshToken": "r", "expireIn": 7200})

        def _json(self, status: int, document: Any) -> None:
            self.send_body(status, "application/json", json.dumps(document).encode())

    with serving(Handler) as base_url:
        fake.base_url = base_url
        yield fake
