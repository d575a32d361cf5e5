"""Single sign-on settings, read from the environment with the rest (``server.config.load_settings``).

OpenID Connect is on when ``ARENA_OIDC_ISSUER`` is set; WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书) each
when their app id and secret are. Every setting is named in docs/sso.md and the README's configuration table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PREFIX = "ARENA_"
TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

# Each enterprise provider: its name, the environment's stem, the identity fields it can match by (first: the
# default), its authorize page and its API base (both overridable: Lark, or a private deployment).
ENTERPRISE = {
    "wecom": (
        "WECOM",
        ("userid", "email", "mobile"),
        "https://login.work.weixin.qq.com/wwlogin/sso/login",
        "https://qyapi.weixin.qq.com",
    ),
    "dingtalk": (
        "DINGTALK",
        ("mobile", "email", "unionid"),
        "https://login.dingtalk.com/oauth2/auth",
        "https://api.dingtalk.com",
    ),
    "feishu": (
        "FEISHU",
        ("user_id", "email", "mobile", "employee_no"),
        "https://accounts.feishu.cn/open-apis/authen/v1/authorize",
        "https://open.feishu.cn",
    ),
}


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    label: str = ""  # the button's text; unset: "Company sign-in"
    token_auth: str = "client_secret_basic"
    role_claim: str = "roles"  # a string or a list of strings in the ID token
    admin_values: tuple[str, ...] = ("arena-admin",)
    manager_values: tuple[str, ...] = ("arena-manager",)
    rep_values: tuple[str, ...] = ("arena-rep",)
    teams_claim: str = "arena_teams"  # a manager's team ids
    username_claim: str = "email"  # names an admin's or manager's console user (``oidc.<value>``)
    rep_claim: str = "email"  # links a rep: the rep's ``oidc`` alias, else the rep id, equals its value


@dataclass(frozen=True)
class EnterpriseConfig:
    provider: str  # wecom | dingtalk | feishu
    app_id: str  # WeCom: the corp id
    secret: str
    match: str  # the identity field that names the person (userid, mobile, email, ...)
    login_url: str
    api_url: str
    agent_id: str = ""  # WeCom only: the self-built app's agent id


@dataclass(frozen=True)
class SsoConfig:
    oidc: OidcConfig | None = None
    enterprise: tuple[EnterpriseConfig, ...] = field(default_factory=tuple)

    @property
    def enabled(self) -> bool:
        return self.oidc is not None or bool(self.enterprise)

    @property
    def providers(self) -> tuple[str, ...]:
        return (*(("oidc",) if self.oidc else ()), *(e.provider for e in self.enterprise))


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(PREFIX + name) or "").strip()


def _values(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = _get(env, name)
    return tuple(v.strip() for v in raw.split(",") if v.strip()) if raw else default


def _need(env: Mapping[str, str], names: tuple[str, ...], because: str) -> None:
    missing = [PREFIX + n for n in names if not _get(env, n)]
    if missing:
        raise ValueError(f"{because} needs {', '.join(missing)}")


def load_oidc(env: Mapping[str, str]) -> OidcConfig | None:
    issuer = _get(env, "OIDC_ISSUER").rstrip("/")
    if not issuer:
        return None
    _need(env, ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"), f"{PREFIX}OIDC_ISSUER")
    token_auth = _get(env, "OIDC_TOKEN_AUTH") or "client_secret_basic"
    if token_auth not in TOKEN_AUTH_METHODS:
        raise ValueError(f"{PREFIX}OIDC_TOKEN_AUTH must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {token_auth!r}")
    defaults = OidcConfig(issuer="", client_id="", client_secret="")
    return OidcConfig(
        issuer=issuer,
        client_id=_get(env, "OIDC_CLIENT_ID"),
        client_secret=_get(env, "OIDC_CLIENT_SECRET"),
        scopes=_get(env, "OIDC_SCOPES") or defaults.scopes,
        label=_get(env, "OIDC_LABEL"),
        token_auth=token_auth,
        role_claim=_get(env, "OIDC_ROLE_CLAIM") or defaults.role_claim,
        admin_values=_values(env, "OIDC_ADMIN_VALUES", defaults.admin_values),
        manager_values=_values(env, "OIDC_MANAGER_VALUES", defaults.manager_values),
        rep_values=_values(env, "OIDC_REP_VALUES", defaults.rep_values),
        teams_claim=_get(env, "OIDC_TEAMS_CLAIM") or defaults.teams_claim,
        username_claim=_get(env, "OIDC_USERNAME_CLAIM") or defaults.username_claim,
        rep_claim=_get(env, "OIDC_REP_CLAIM") or defaults.rep_claim,
    )


def load_enterprise(env: Mapping[str, str]) -> tuple[EnterpriseConfig, ...]:
    found = []
    for provider, (stem, fields, login_url, api_url) in ENTERPRISE.items():
        id_name = f"{stem}_CORP_ID" if provider == "wecom" else f"{stem}_APP_ID"
        if not _get(env, id_name):
            continue
        needed = (f"{stem}_SECRET", *((f"{stem}_AGENT_ID",) if provider == "wecom" else ()))
        _need(env, needed, PREFIX + id_name)
        match = _get(env, f"{stem}_MATCH") or fields[0]
        if match not in fields:
            raise ValueError(f"{PREFIX}{stem}_MATCH must be one of {', '.join(fields)}, got {match!r}")
        found.append(
            EnterpriseConfig(
                provider=provider,
                app_id=_get(env, id_name),
                secret=_get(env, f"{stem}_SECRET"),
                match=match,
                login_url=_get(env, f"{stem}_LOGIN_URL") or login_url,
                api_url=(_get(env, f"{stem}_API_URL") or api_url).rstrip("/"),
                agent_id=_get(env, f"{stem}_AGENT_ID"),
            )
        )
    return tuple(found)


def load_sso(env: Mapping[str, str]) -> SsoConfig:
    """``ValueError`` naming the setting when one is missing or wrong."""
    return SsoConfig(oidc=load_oidc(env), enterprise=load_enterprise(env))
