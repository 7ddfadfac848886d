"""Serving a stored artifact: always as an attachment, typed by its checked content, never sniffed."""

from pathlib import Path

from flask import current_app, send_file

from portal.submissions import uploads
from portal.submissions.models import Artifact


def send_artifact(artifact: Artifact, *, blind: bool = False):
    """Under blind review the download name is a neutral one, since educators often put their name in file names."""
    file_type = uploads.ALLOWED_TYPES[artifact.kind]
    name = artifact.original_name
    if blind:
        name = f"artifact-{artifact.id}{file_type.extension}"
    elif not name.lower().endswith(file_type.extension):
        name += file_type.extension
    path = uploads.stored_path(Path(current_app.config["UPLOAD_FOLDER"]), artifact.stored_name)
    response = send_file(path, mimetype=file_type.mime, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
