"""A real OpenID Provider for the tests: tests/accounts/oidc_provider/server.js (panva's oidc-provider) run
with Node.js on a free 127.0.0.1 port, and helpers to use it from Python (register a client, sign in through its
development login and consent pages, get a real ID token for any client and nonce)."""

import base64
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import threading
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest
import requests

SERVER_DIR = Path(__file__).resolve().parent / "accounts" / "oidc_provider"
TIMEOUT = 10


class TestProvider:
    __test__ = False  # not a test class

    def __init__(self, issuer: str, registration_token: str):
        self.issuer = issuer
        self.registration_token = registration_token
        self.metadata = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT).json()

    def register_client(self, redirect_uris: list[str]) -> tuple[str, str]:
        """Dynamic client registration; returns (client_id, client_secret)."""
        response = requests.post(
            self.metadata["registration_endpoint"], timeout=TIMEOUT,
            headers={"Authorization": f"Bearer {self.registration_token}"},
            json={"redirect_uris": redirect_uris, "grant_types": ["authorization_code"], "response_types": ["code"]},
        )
        response.raise_for_status()
        body = response.json()
        return body["client_id"], body["client_secret"]

    def sign_in(self, authorization_url: str, login: str, redirect_prefix: str) -> str:
        """Follow an authorization request through the login and consent pages, as a person would, and return
        the URL the provider sends the browser back to (redirect_uri?code=...&state=...)."""
        browser = requests.Session()
        url, method, data = authorization_url, "GET", None
        for _ in range(12):
            response = browser.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT)
            if response.is_redirect:
                url, method, data = urljoin(url, response.headers["Location"]), "GET", None
                if url.startswith(redirect_prefix):
                    return url
                continue
            response.raise_for_status()
            action = unescape(re.search(r'<form[^>]*action="([^"]+)"', response.text).group(1))
            data = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
            if data.get("prompt") == "login":
                data.update(login=login, password="any")
            url, method = urljoin(url, action), "POST"
        raise AssertionError("the provider never sent the browser back")

    def id_token(self, *, client_id: str, client_secret: str, redirect_uri: str, nonce: str, login: str) -> dict:
        """A real token response (ID token signed by the provider) for `client_id`, with the given nonce."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
            "scope": "openid email profile", "state": secrets.token_urlsafe(8), "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        back = self.sign_in(f"{self.metadata['authorization_endpoint']}?{query}", login, redirect_uri)
        code = re.search(r"[?&]code=([^&]+)", back).group(1)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": verifier}
        response = requests.post(self.metadata["token_endpoint"], auth=(client_id, client_secret), data=form,
                                 timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: the district sign-in tests are required in CI", pytrace=False)
    pytest.skip(reason)


@contextmanager
def running_provider():
    """Install the provider's packages (npm ci, once) and run it until the block ends."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        _missing("Node.js and npm are needed to run the test OpenID Provider")
    if not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SERVER_DIR, check=True, timeout=300)  # noqa: S603
    token = secrets.token_urlsafe(16)
    process = subprocess.Popen(  # noqa: S603
        [node, "server.js"], cwd=SERVER_DIR, env={**os.environ, "REGISTRATION_TOKEN": token},
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("issuer "):
            raise RuntimeError(f"the test OpenID Provider did not start: {line!r}")
        # Keep reading its output so a full pipe never blocks it.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield TestProvider(line.split()[1], token)
    finally:
        process.terminate()
        process.wait(timeout=10)
