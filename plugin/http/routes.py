"""Routes written down by a module and put on a blueprint by its package, in one visible place.

A module of the admin API, the widget API or the dashboard decorates its views with its own
``routes = Routes()`` (``@routes.get(...)``, ``@routes.before_request``, ...) instead of importing
the package's blueprint, so it adds nothing by being imported; the package's ``__init__`` calls
``module.routes.register(bp)`` for each of its modules, which replays the decorators on ``bp``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from flask import Blueprint


class Routes:
    """A recorder for a blueprint's decorator methods: ``route``, ``get``, ``post``,
    ``before_request``, ``context_processor``, ``errorhandler``..."""

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple, dict, Callable]] = []

    def __getattr__(self, method: str) -> Callable:
        if method.startswith("_") or not callable(getattr(Blueprint, method, None)):
            raise AttributeError(method)

        def decorator_or_hook(*args: Any, **kwargs: Any):
            if method in _HOOKS:  # @routes.before_request: the view itself is the one argument
                self._calls.append((method, (), {}, args[0]))
                return args[0]

            def decorate(view: Callable) -> Callable:
                self._calls.append((method, args, kwargs, view))
                return view

            return decorate

        return decorator_or_hook

    def register(self, bp: Blueprint) -> None:
        """Put everything recorded on ``bp``, in the order it was written."""
        for method, args, kwargs, view in self._calls:
            if method in _HOOKS:
                getattr(bp, method)(view)
            else:
                getattr(bp, method)(*args, **kwargs)(view)


def blueprint(name: str, import_name: str, modules: Iterable[ModuleType], **options: Any) -> Blueprint:
    """A fresh blueprint (one per app) carrying the routes every module in ``modules`` recorded."""
    bp = Blueprint(name, import_name, **options)
    for module in modules:
        module.routes.register(bp)
    return bp


_HOOKS = {"before_request", "after_request", "teardown_request", "context_processor", "before_app_request",
          "after_app_request", "app_context_processor", "url_value_preprocessor", "url_defaults"}
