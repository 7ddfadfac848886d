"""The Micro-credential Portal."""

import os
from pathlib import Path

from flask import Flask

from portal import demo
from portal.accounts import cli as accounts_cli
from portal.accounts import district_views, two_step_views
from portal.accounts import link_views as account_links_views
from portal.accounts import views as accounts_views
from portal.accounts.oidc import check_settings as check_district_settings
from portal.audit import utcnow
from portal.badges import cli as badges_cli
from portal.badges import staff_views as badges_staff_views
from portal.badges import views as badges_views
from portal.badges import views_public as badges_public_views  # noqa: F401 -- adds its routes to badges_views.bp
from portal.badges import views_share as badges_share_views  # noqa: F401 -- adds its routes to badges_views.bp
from portal.badges.verdict import long_date
from portal.cache import CacheGeneration  # noqa: F401 -- its table is part of the schema
from portal.catalog import cli as catalog_cli
from portal.catalog import views as catalog_views
from portal.cohorts import views as cohorts_views
from portal.config import CONFIGS, ProductionConfig
from portal.errors import init_errors
from portal.extensions import csrf, db, limiter, login_manager, migrate
from portal.notifications import cli as notifications_cli
from portal.notifications import views as notifications_views
from portal.permissions import TEMPLATE_PREDICATES
from portal.request_guard import init_request_guard
from portal.reviews import cli as reviews_cli
from portal.reviews import staff_views as staff_reviews_views
from portal.reviews import views as reviews_views
from portal.security import check_production_settings, init_security
from portal.staff import account_views as staff_accounts_views
from portal.staff import views as staff_views
from portal.submissions import cli as uploads_cli
from portal.submissions import views as submissions_views
from portal.templating import earned_by, fixed_url, list_url, page_url
from portal.text import count_words, plural, render_markdown
from portal.throttle import init_throttle

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
    init_request_guard(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    init_errors(app)
    init_security(app)
    init_throttle(app)
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
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    check_district_settings(app)
    if issubclass(base, ProductionConfig):
        check_production_settings(app)


def engine_options(config) -> dict:
    """The engine options, with a connect timeout for PostgreSQL: during an outage a page answers 503 quickly
    instead of waiting for the operating system to give up on the connection."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        connect_args = {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"], **options.get("connect_args", {})}
        options["connect_args"] = connect_args
    else:
        options.pop("pool_timeout", None)  # SQLite's default pool has none
    return options


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
        account_links_views.bp, staff_accounts_views.bp, cohorts_views.bp, notifications_views.bp, accounts_cli.bp,
        catalog_cli.bp, notifications_cli.bp, reviews_cli.bp, uploads_cli.bp, demo.bp, badges_views.bp, badges_cli.bp,
        badges_staff_views.bp, two_step_views.bp, district_views.bp, staff_views.bp,
    ):
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(long_date, "long_date")
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals["config_value"] = app.config.get
    app.jinja_env.globals["count_words"] = count_words
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["list_url"] = list_url
    app.jinja_env.globals["plural"] = plural
    app.jinja_env.globals["earned_by"] = earned_by
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.context_processor(lambda: {"now_utc": utcnow()})
