"""The identity providers a person may sign in with: OpenID Connect and the enterprise apps Chinese companies use
(WeCom 企业微信, DingTalk 钉钉, Feishu 飞书). Each is a small class on one shape — the page to send the browser
to, and what the code it comes back with says about the person — so ``server.auth.sso`` runs one flow for all.

Every call goes out through ``OutboundClient`` (public https only unless ARENA_OUTBOUND_ALLOW_PRIVATE, a
budget, bounded retries). Error texts name the provider and the step, never a URL: some of these APIs take the
app secret or an access token in the query string.

OpenID Connect uses authlib for the protocol pieces (state-like tokens, PKCE S256, the authorize URI) and its
JOSE library, joserfc, for the ID token: signature by the issuer's JWKS (fetched again once for an unknown key
id), then ``iss``, ``aud``, ``exp``, ``iat`` and the ``nonce`` this browser was given.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from server.outbound import OutboundClient, OutboundError
from server.sso_config import EnterpriseConfig, OidcConfig

ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
CLOCK_LEEWAY_SECONDS = 60
METADATA_SECONDS = 3600  # discovery document and JWKS kept this long; an unknown key id fetches the JWKS again
MAX_ANSWER_BYTES = 256 * 1024


class SsoError(Exception):
    """The provider refused or said something we cannot trust; the text is safe to log (no code or token)."""


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: ``value`` names the person for matching (an email, a mobile, a user id),
    ``claims`` are what the provider said (OIDC: the ID token's claims)."""

    provider: str
    value: str
    name: str = ""
    claims: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Started:
    """What the browser carries to the provider; ``nonce`` and ``verifier`` stay on the server."""

    state: str
    nonce: str
    verifier: str


async def fetch_json(
    client: OutboundClient,
    step: str,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A JSON object from the provider, or ``SsoError`` naming only ``step`` and the status."""
    sent = dict(headers or {})
    content = None
    if body is not None:
        content = json.dumps(body).encode()
        sent["Content-Type"] = "application/json; charset=utf-8"
    try:
        response = await client.request(method, url, headers=sent, form=form, content=content)
    except OutboundError as exc:
        raise SsoError(f"{step}: {exc}") from None
    if len(response.content) > MAX_ANSWER_BYTES:
        raise SsoError(f"{step}: answer too large")
    try:
        document = response.json()
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise SsoError(f"{step}: HTTP {response.status_code}, not a JSON object")
    if response.status_code >= 300:
        reason = document.get("error") or document.get("errmsg") or document.get("msg") or ""
        raise SsoError(f"{step}: HTTP {response.status_code} {str(reason)[:80]}".rstrip())
    return document


class Provider:
    """One way to sign in. ``authorize_url`` is where the browser goes; ``identify`` turns the code the browser
    comes back with into an ``Identity`` (or ``SsoError``)."""

    name: ClassVar[str]
    uses_nonce: ClassVar[bool] = False

    def label(self) -> str:
        return self.name

    async def authorize_url(self, client: OutboundClient, started: Started, redirect_uri: str) -> str:
        raise NotImplementedError

    async def identify(
        self, client: OutboundClient, code: str, started: Started, redirect_uri: str
    ) -> Identity:  # pragma: no cover - every provider overrides it
        raise NotImplementedError


class OidcProvider(Provider):
    name = "oidc"
    uses_nonce = True

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self.metadata: dict[str, Any] | None = None
        self.keys: KeySet | None = None
        self.fetched_at = 0.0

    def label(self) -> str:
        return self.config.label

    async def discover(self, client: OutboundClient) -> dict[str, Any]:
        if self.metadata is None or time.monotonic() - self.fetched_at > METADATA_SECONDS:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            document = await fetch_json(client, "discovery", "GET", url)
            if document.get("issuer", "").rstrip("/") != self.config.issuer:
                raise SsoError("discovery: the document names another issuer")
            for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(document.get(needed), str):
                    raise SsoError(f"discovery: no {needed}")
            self.metadata, self.keys, self.fetched_at = document, None, time.monotonic()
        return self.metadata

    async def key_set(self, client: OutboundClient, refresh: bool = False) -> KeySet:
        if self.keys is None or refresh:
            metadata = await self.discover(client)
            document = await fetch_json(client, "jwks", "GET", metadata["jwks_uri"])
            try:
                self.keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError):
                raise SsoError("jwks: not a key set") from None
        return self.keys

    async def authorize_url(self, client: OutboundClient, started: Started, redirect_uri: str) -> str:
        metadata = await self.discover(client)
        uri: str = prepare_grant_uri(
            metadata["authorization_endpoint"],
            self.config.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=self.config.scopes,
            state=started.state,
            nonce=started.nonce,
            code_challenge=create_s256_code_challenge(started.verifier),
            code_challenge_method="S256",
        )
        return uri

    async def identify(self, client: OutboundClient, code: str, started: Started, redirect_uri: str) -> Identity:
        metadata = await self.discover(client)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": started.verifier,
        }
        headers: dict[str, str] = {"Accept": "application/json"}
        if self.config.token_auth == "client_secret_post":
            form |= {"client_id": self.config.client_id, "client_secret": self.config.client_secret}
        else:
            basic = httpx.BasicAuth(self.config.client_id, self.config.client_secret)
            headers["Authorization"] = next(basic.auth_flow(httpx.Request("POST", "/"))).headers["Authorization"]
        answer = await fetch_json(client, "token", "POST", metadata["token_endpoint"], headers=headers, form=form)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SsoError("token: no id_token in the answer")
        claims = await self.verified_claims(client, id_token, started.nonce)
        value = claims.get(self.config.rep_claim)
        return Identity(
            provider=self.name,
            value=str(value) if isinstance(value, str | int) else "",
            name=str(claims.get("name") or ""),
            claims=claims,
        )

    async def verified_claims(self, client: OutboundClient, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            token = await self._decode(client, id_token)
            registry = jwt.JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                exp={"essential": True},
                iat={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except JoseError as exc:
            raise SsoError(f"id_token: {exc.error} {exc.description or ''}".rstrip()) from None
        claims = dict(token.claims)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.config.client_id:
            raise SsoError("id_token: issued to another party (azp)")
        return claims

    async def _decode(self, client: OutboundClient, id_token: str) -> jwt.Token:
        try:
            return jwt.decode(id_token, await self.key_set(client), algorithms=ID_TOKEN_ALGORITHMS)
        except InvalidKeyIdError:  # no key with the token's key id: the issuer may have rotated its keys
            return jwt.decode(id_token, await self.key_set(client, refresh=True), algorithms=ID_TOKEN_ALGORITHMS)


class EnterpriseProvider(Provider):
    """WeCom, DingTalk and Feishu: an authorize page showing a QR code (or signing in inside the app), then an
    app credential and the code give the person's profile; ``config.match`` picks the field that names them."""

    def __init__(self, config: EnterpriseConfig) -> None:
        self.config = config

    def label(self) -> str:
        return ""

    def identity(self, profile: dict[str, Any], name: str) -> Identity:
        value = profile.get(self.config.match)
        if not isinstance(value, str) or not value:
            raise SsoError(f"{self.name}: the profile has no {self.config.match}")
        if self.config.match == "mobile":
            value = normalize_mobile(value)
        return Identity(provider=self.name, value=value, name=name)


class WeComProvider(EnterpriseProvider):
    """企业微信 web login (``login_type=CorpApp``): the corp's access token, then the code → ``userid``; email and
    mobile come from the user ticket's details when the app may read them."""

    name = "wecom"

    async def authorize_url(self, client: OutboundClient, started: Started, redirect_uri: str) -> str:
        query = {
            "login_type": "CorpApp",
            "appid": self.config.app_id,
            "agentid": self.config.agent_id,
            "redirect_uri": redirect_uri,
            "state": started.state,
        }
        return f"{self.config.login_url}?{urlencode(query)}"

    async def identify(self, client: OutboundClient, code: str, started: Started, redirect_uri: str) -> Identity:
        api = self.config.api_url
        token = await self._checked(
            client,
            "gettoken",
            f"{api}/cgi-bin/gettoken?{urlencode({'corpid': self.config.app_id, 'corpsecret': self.config.secret})}",
        )
        access = str(token.get("access_token", ""))
        who = await self._checked(
            client, "getuserinfo", f"{api}/cgi-bin/auth/getuserinfo?{urlencode({'access_token': access, 'code': code})}"
        )
        if not who.get("userid"):
            raise SsoError("wecom: not a member of the corp")
        profile = {"userid": who["userid"]}
        if self.config.match != "userid" and who.get("user_ticket"):
            url = f"{api}/cgi-bin/auth/getuserdetail?{urlencode({'access_token': access})}"
            detail = await self._checked(client, "getuserdetail", url, body={"user_ticket": who["user_ticket"]})
            profile |= {"email": detail.get("email") or detail.get("biz_mail"), "mobile": detail.get("mobile")}
        return self.identity(profile, "")

    async def _checked(
        self, client: OutboundClient, step: str, url: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        answer = await fetch_json(client, f"wecom {step}", "POST" if body else "GET", url, body=body)
        if answer.get("errcode", 0) != 0:
            raise SsoError(f"wecom {step}: errcode {answer.get('errcode')}")
        return answer


class DingTalkProvider(EnterpriseProvider):
    """钉钉 login (``login.dingtalk.com/oauth2/auth``): the code (``authCode``) → a user access token → the
    person's profile (``contact/users/me``: unionId, mobile, email)."""

    name = "dingtalk"

    async def authorize_url(self, client: OutboundClient, started: Started, redirect_uri: str) -> str:
        query = {
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "client_id": self.config.app_id,
            "scope": "openid",
            "state": started.state,
            "prompt": "consent",
        }
        return f"{self.config.login_url}?{urlencode(query)}"

    async def identify(self, client: OutboundClient, code: str, started: Started, redirect_uri: str) -> Identity:
        body = {
            "clientId": self.config.app_id,
            "clientSecret": self.config.secret,
            "code": code,
            "grantType": "authorization_code",
        }
        url = f"{self.config.api_url}/v1.0/oauth2/userAccessToken"
        token = await fetch_json(client, "dingtalk token", "POST", url, body=body)
        if not token.get("accessToken"):
            raise SsoError("dingtalk token: no accessToken")
        headers = {"x-acs-dingtalk-access-token": str(token["accessToken"])}
        me = await fetch_json(
            client, "dingtalk me", "GET", f"{self.config.api_url}/v1.0/contact/users/me", headers=headers
        )
        profile = {"unionid": me.get("unionId"), "mobile": me.get("mobile"), "email": me.get("email")}
        return self.identity(profile, str(me.get("nick") or ""))


class FeishuProvider(EnterpriseProvider):
    """飞书 login (``authen/v1/authorize``, with PKCE): the code → a user access token (``authen/v2/oauth/token``)
    → ``authen/v1/user_info`` (user_id, email, mobile, employee_no)."""

    name = "feishu"

    async def authorize_url(self, client: OutboundClient, started: Started, redirect_uri: str) -> str:
        query = {
            "client_id": self.config.app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "state": started.state,
            "code_challenge": create_s256_code_challenge(started.verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.config.login_url}?{urlencode(query)}"

    async def identify(self, client: OutboundClient, code: str, started: Started, redirect_uri: str) -> Identity:
        body = {
            "grant_type": "authorization_code",
            "client_id": self.config.app_id,
            "client_secret": self.config.secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": started.verifier,
        }
        api = self.config.api_url
        token = await fetch_json(client, "feishu token", "POST", f"{api}/open-apis/authen/v2/oauth/token", body=body)
        if token.get("code", 0) != 0 or not token.get("access_token"):
            raise SsoError(f"feishu token: code {token.get('code')}")
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        info = await fetch_json(
            client, "feishu user_info", "GET", f"{api}/open-apis/authen/v1/user_info", headers=headers
        )
        data = info.get("data")
        if info.get("code", 0) != 0 or not isinstance(data, dict):
            raise SsoError(f"feishu user_info: code {info.get('code')}")
        profile = dict(data)
        profile["email"] = data.get("enterprise_email") or data.get("email")
        return self.identity(profile, str(data.get("name") or ""))


def normalize_mobile(value: str) -> str:
    """Mainland numbers as 11 digits: ``+86 138-0000-0000`` → ``13800000000``; others keep their digits."""
    digits = "".join(c for c in value if c.isdigit())
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


ENTERPRISE_PROVIDERS: dict[str, type[EnterpriseProvider]] = {
    "wecom": WeComProvider,
    "dingtalk": DingTalkProvider,
    "feishu": FeishuProvider,
}
