"""Serving a stored artifact: always as an attachment, typed by its checked content, never sniffed."""

import io
from pathlib import Path

from flask import abort, current_app, send_file

from portal.submissions import blind as metadata
from portal.submissions import uploads
from portal.submissions.models import Artifact


def send_artifact(artifact: Artifact, *, blind: bool = False):
    """Under blind review the reviewer gets the copy without the author fields of the file's metadata, under a
    neutral name, since educators often put their name in file names. The educator always gets the original."""
    file_type = uploads.ALLOWED_TYPES[artifact.kind]
    name = artifact.original_name
    if blind:
        name = f"artifact-{artifact.id}{file_type.extension}"
    elif not name.lower().endswith(file_type.extension):
        name += file_type.extension
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    source = _blind_copy(artifact, folder) if blind else _existing(uploads.stored_path(folder, artifact.stored_name))
    response = send_file(source, mimetype=file_type.mime, as_attachment=True, download_name=name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _blind_copy(artifact: Artifact, folder: Path):
    if artifact.blind_name:
        return _existing(uploads.stored_path(folder, artifact.blind_name))
    # A file uploaded before reviewers' copies were made: made now, never the original.
    original = _existing(uploads.stored_path(folder, artifact.stored_name))
    try:
        return io.BytesIO(metadata.strip_metadata(artifact.kind, original.read_bytes()))
    except metadata.CannotStrip:
        abort(404)


def _existing(path: Path) -> Path:
    # A file removed by the sweep (a withdrawn version past retention) is a missing page, not an error.
    if not path.is_file():
        abort(404)
    return path
