"""The Micro-credential Portal."""

import os
from pathlib import Path

from flask import Flask

from portal import demo
from portal.accounts import cli as accounts_cli
from portal.accounts import views as accounts_views
from portal.audit import utcnow
from portal.catalog import cli as catalog_cli
from portal.catalog import views as catalog_views
from portal.cohorts import views as cohorts_views
from portal.config import CONFIGS, ProductionConfig
from portal.errors import init_errors
from portal.extensions import csrf, db, limiter, login_manager, migrate
from portal.notifications import cli as notifications_cli
from portal.notifications import views as notifications_views
from portal.permissions import TEMPLATE_PREDICATES
from portal.reviews import cli as reviews_cli
from portal.reviews import staff_views as staff_reviews_views
from portal.reviews import views as reviews_views
from portal.security import check_production_settings, init_security
from portal.staff import views as staff_views
from portal.submissions import views as submissions_views
from portal.templating import list_url, page_url
from portal.text import count_words, plural, render_markdown

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None) -> Flask:
    """Build the app. config is a config class, a mapping of overrides, or None for PORTAL_CONFIG's class."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    init_errors(app)
    init_security(app)
    return app


def load_config(app: Flask, config) -> None:
    base = config if isinstance(config, type) else CONFIGS[os.environ.get("PORTAL_CONFIG", "development")]
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "portal.db")
    app.config["UPLOAD_FOLDER"] = app.config["UPLOAD_FOLDER"] or os.path.join(app.instance_path, "uploads")
    if issubclass(base, ProductionConfig):
        check_production_settings(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    for blueprint in (
        catalog_views.bp, accounts_views.bp, submissions_views.bp, reviews_views.bp, staff_reviews_views.bp,
        cohorts_views.bp, notifications_views.bp, accounts_cli.bp, catalog_cli.bp, notifications_cli.bp,
        reviews_cli.bp, demo.bp, staff_views.bp,
    ):
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals["config_value"] = app.config.get
    app.jinja_env.globals["count_words"] = count_words
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["list_url"] = list_url
    app.jinja_env.globals["plural"] = plural
    app.context_processor(lambda: {"now_utc": utcnow()})
