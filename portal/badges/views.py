"""What the portal publishes for issued credentials: its DID document and the status list credential."""

from flask import Blueprint

from portal.badges import models  # noqa: F401 -- the tables exist whenever the app does

bp = Blueprint("badges", __name__)
