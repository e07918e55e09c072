"""Byline's web UI: the app factory (Flask's ``flaskr`` pattern).

Configuration is layered: defaults below, then ``BYLINE_*`` environment
variables (read by :meth:`IndexConfig.from_env`), then ``test_config``.
Nothing is opened at import time; the engine only opens its index on the
first request. ``webui`` never imports Whoosh: it talks to the library only.

``test_config`` may hold any Flask setting plus:

* ``BYLINE``: an :class:`IndexConfig`, or a mapping of settings applied over
  the environment (``{"index_dir": "var/news-index"}``);
* ``BYLINE_ENGINE``: an existing engine to use as is (tests, ``manage.py serve``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask

from indexer.config import IndexConfig

EXTENSION = "byline"

DEFAULTS: dict[str, Any] = {
    # Page size when the request does not say; the library caps it at max_per_page.
    "BYLINE_PER_PAGE": 10,
    # Shown on the front page as links.
    "BYLINE_EXAMPLES": (
        "fuel prices",
        '"gas prices"',
        "protest* -police",
        "title:kazakhstan",
        "goverment",
    ),
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "TEMPLATES_AUTO_RELOAD": False,
}


def _index_config(value: Any) -> IndexConfig:
    if value is None:
        return IndexConfig.from_env()
    if isinstance(value, IndexConfig):
        return value
    if isinstance(value, Mapping):
        return IndexConfig.from_mapping(dict(value), base=IndexConfig.from_env())
    raise TypeError(f"BYLINE must be an IndexConfig or a mapping, not {type(value).__name__}")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Byline web app; see the module docstring for ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if test_config:
        app.config.from_mapping(dict(test_config))
    # Never Flask's debugger, whatever the environment says.
    app.debug = False
    app.config["DEBUG"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    engine = app.config.pop("BYLINE_ENGINE", None)
    if engine is None:
        from indexer.engine import SearchEngine  # whoosh loads here, not at import

        engine = SearchEngine(_index_config(app.config.get("BYLINE")))
    app.config["BYLINE"] = engine.config
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = engine

    from . import newsroom, views  # noqa: F401 (newsroom adds its routes to views.bp)

    app.register_blueprint(views.bp)
    views.register_error_handlers(app)
    app.after_request(views.security_headers)
    logging.getLogger("byline.webui").setLevel(logging.INFO)
    return app


__all__ = ["create_app"]
