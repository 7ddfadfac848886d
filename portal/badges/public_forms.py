"""The form of the public file check."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyForm(FlaskForm):
    file = FileField(
        "Credential file",
        description="The credential's .json file, or its badge .png image with the credential baked in. At most 2 MB.",
        validators=[FileRequired("Choose the credential's .json file or its badge .png image.")],
    )
