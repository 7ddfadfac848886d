from flask import Blueprint

bp = Blueprint("staff_reviews", __name__, url_prefix="/staff")
