"""District sign-in providers (OpenID Connect) from the settings, and their Authlib clients.

Google and Microsoft have presets (their issuer is known); any other provider is one entry of OIDC_PROVIDERS:
`name|issuer URL|client ID|client secret|allowed domains`. Authlib does the protocol: state, nonce, PKCE (S256),
and the ID token's signature (the provider's JWKS), issuer, audience and expiry."""

import re
from dataclasses import dataclass

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

GOOGLE_ISSUER = "https://accounts.google.com"
MICROSOFT_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
HTTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class DistrictProvider:
    slug: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    allowed_domains: tuple[str, ...] = ()

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def allows_email(self, email: str | None) -> bool:
        if not self.allowed_domains:
            return True
        return bool(email) and email.rsplit("@", 1)[-1].lower() in self.allowed_domains


def _domains(raw: str) -> tuple[str, ...]:
    return tuple(sorted({d.strip().lower().lstrip("@") for d in (raw or "").split(",") if d.strip()}))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def configured_providers(config) -> list[DistrictProvider]:
    """Every provider switched on by the settings, in the order the sign-in page lists them."""
    providers = []
    if config.get("OIDC_GOOGLE_CLIENT_ID") and config.get("OIDC_GOOGLE_CLIENT_SECRET"):
        providers.append(DistrictProvider(
            "google", "Google", GOOGLE_ISSUER, config["OIDC_GOOGLE_CLIENT_ID"], config["OIDC_GOOGLE_CLIENT_SECRET"],
            _domains(config.get("OIDC_GOOGLE_ALLOWED_DOMAINS", "")),
        ))
    tenant = config.get("OIDC_MICROSOFT_TENANT")
    if config.get("OIDC_MICROSOFT_CLIENT_ID") and config.get("OIDC_MICROSOFT_CLIENT_SECRET") and tenant:
        providers.append(DistrictProvider(
            "microsoft", "Microsoft", MICROSOFT_ISSUER.format(tenant=tenant), config["OIDC_MICROSOFT_CLIENT_ID"],
            config["OIDC_MICROSOFT_CLIENT_SECRET"], _domains(config.get("OIDC_MICROSOFT_ALLOWED_DOMAINS", "")),
        ))
    providers.extend(parse_provider_list(config.get("OIDC_PROVIDERS", "")))
    return providers


def parse_provider_list(raw: str) -> list[DistrictProvider]:
    """OIDC_PROVIDERS: entries on separate lines or separated by ";". A malformed entry stops the start-up
    with a message naming it, rather than a sign-in button that fails later."""
    providers = []
    for entry in re.split(r"[;\n]", raw or ""):
        if not entry.strip():
            continue
        fields = [f.strip() for f in entry.split("|")]
        if len(fields) not in (4, 5) or not all(fields[:4]) or not fields[1].startswith(("https://", "http://")):
            raise ValueError(
                f"OIDC_PROVIDERS entry {fields[0] or entry!r}: expected name|issuer URL|client ID|client secret"
                "|allowed domains (optional)"
            )
        name, issuer, client_id, secret = fields[:4]
        providers.append(DistrictProvider(_slug(name), name, issuer, client_id, secret, _domains(
            fields[4] if len(fields) == 5 else "")))
    return providers


def find_provider(slug: str) -> DistrictProvider | None:
    return next((p for p in configured_providers(current_app.config) if p.slug == slug), None)


def check_settings(app: Flask) -> None:
    """Called by create_app: a typo in the provider settings fails at start-up."""
    configured_providers(app.config)


def client_for(provider: DistrictProvider):
    """The Authlib client of `provider`, made once per app and settings (tests change the settings)."""
    registry = current_app.extensions.setdefault("district_sign_in", {})
    if provider not in registry:
        oauth = OAuth(current_app)
        registry[provider] = oauth.register(
            name=provider.slug,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={
                "scope": "openid email profile",
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT_SECONDS,
            },
        )
    return registry[provider]


def id_token_claims_options(client, provider: DistrictProvider) -> dict:
    """What the ID token must say, beyond its signature and nonce: our provider as issuer, us as audience.
    Authlib on its own checks the audience only through `azp`; an ID token whose `aud` leaves us out must fail."""
    issuer = client.load_server_metadata().get("issuer") or provider.issuer
    return {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": provider.client_id},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
