"""The ceiling: a bare Flask app that answers each measured page with a static string of the same size.

benchmarks/run.py saves every measured page's HTML (as the portal rendered it for that scenario) into a folder
with a manifest, and runs this app under the same gunicorn settings and the same wrk script:

    BARE_PAGES=benchmarks/out/<run>/pages gunicorn -w 2 -b 127.0.0.1:PORT benchmarks.bare_app:app

GET /<scenario> returns the saved body with the portal's status (200); POST /<scenario> reads the form body
and answers 302 with the saved body, as the portal's "save" does. No database, no templates, no session.
"""

import json
import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)


def _register(name: str, body: bytes, status: int, location: str | None) -> None:
    def view() -> Response:
        if request.method == "POST":
            request.get_data()  # read the body, as the real page does
        headers = {"Location": location} if location else {}
        return Response(body, status=status, headers=headers, mimetype="text/html")

    app.add_url_rule(f"/{name}", endpoint=name, view_func=view, methods=["GET", "POST"])


_pages = Path(os.environ.get("BARE_PAGES", "benchmarks/out/pages"))
if (_pages / "manifest.json").exists():
    for _name, _spec in json.loads((_pages / "manifest.json").read_text()).items():
        _register(_name, (_pages / _spec["file"]).read_bytes(), _spec["status"], _spec.get("location"))


@app.get("/health")
def health() -> str:
    return "ok"
