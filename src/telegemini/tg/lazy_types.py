"""aiogram's ~630 Bot API types built when first used, not all at import.

``aiogram/types/__init__.py`` ends with a loop that calls ``model_rebuild`` on every type to
resolve forward references, which builds every pydantic validator and serializer at once:
measured on this machine (aiogram 3.31.0, pydantic 2.13.5), importing ``aiogram.types`` takes
~157 MB of resident memory and ~3 s of CPU, most of it for types the bot never sees (each
model's validator holds a copy of every type nested in it). aiogram's types are declared with
``defer_build=True`` already; only that loop undoes it (aiogram/aiogram#1891 is the upstream
report of the import time).

While ``aiogram.types`` executes, this module makes that loop's calls record the namespace
instead of building: pydantic then builds a type on its first validation or dump, resolving the
same forward references from that namespace. Measured: the import 157 → ~51 MB and 3.0 → 0.8 s;
the first ``Update`` validated costs ~4 MB and ~0.1 s once.

It relies on private behaviour (the loop's keyword ``_types_namespace``, pydantic's
``__pydantic_parent_namespace__``), so the versions it was checked with are pinned and
``tests/unit/tg/test_lazy_types.py`` fails when either changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

CHECKED_WITH = {"aiogram": "3.31.0", "pydantic": "2.13.5"}
TARGET = "aiogram.types"
METHODS_BASE = "aiogram.methods.base"


class _DeferringLoader(importlib.abc.Loader):
    """Runs the real loader of ``aiogram.types`` with the rebuild loop made lazy."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        from pydantic import BaseModel

        original = BaseModel.__dict__["model_rebuild"]
        build = original.__func__
        namespaces: list[dict[str, Any]] = []

        def record_namespace(cls: type[BaseModel], /, **kwargs: Any) -> bool | None:
            namespace = kwargs.get("_types_namespace")
            if set(kwargs) == {"_types_namespace"} and cls.__module__.startswith(TARGET):
                cls.__pydantic_parent_namespace__ = namespace  # read on the first use
                if isinstance(namespace, dict) and not namespaces:
                    namespaces.append(namespace)
                return None
            return build(cls, **kwargs)  # type: ignore[no-any-return]

        BaseModel.model_rebuild = classmethod(record_namespace)  # type: ignore[assignment,method-assign]
        try:
            self._inner.exec_module(module)
        finally:
            BaseModel.model_rebuild = original  # type: ignore[method-assign]
        if namespaces:
            _complete_module_globals(namespaces[0])


def _complete_module_globals(namespace: dict[str, Any]) -> None:
    """Give each ``aiogram.types`` module the names its forward references use (they import them
    only for type checkers). A type nested in another model (an aiogram method built at import,
    say) is built with its own module's globals: the names the rebuild loop would have supplied
    must be found there."""
    for name, module in list(sys.modules.items()):
        if name.startswith(TARGET + ".") and module is not None:
            for key, value in namespace.items():
                module.__dict__.setdefault(key, value)


class _DeferredMethodsLoader(importlib.abc.Loader):
    """Runs the real loader of ``aiogram.methods.base``, then declares ``TelegramMethod`` (and
    so every method class defined after it) ``defer_build``: the ~190 method models, each with a
    copy of the types it nests, are built when first sent instead of at import."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        module.TelegramMethod.model_config["defer_build"] = True


_LOADERS: dict[str, type[_DeferringLoader | _DeferredMethodsLoader]] = {
    TARGET: _DeferringLoader,
    METHODS_BASE: _DeferredMethodsLoader,
}


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        loader = _LOADERS.get(fullname)
        if loader is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not versions_checked():
            return spec
        spec.loader = loader(spec.loader)
        return spec


def versions_checked() -> bool:
    """Only on the versions this was measured and tested with; elsewhere aiogram's own way."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return all(version(name) == pinned for name, pinned in CHECKED_WITH.items())
    except PackageNotFoundError:
        return False


def install() -> bool:
    """Defer aiogram's type building if ``aiogram.types`` is not imported yet. True if it will."""
    if TARGET in sys.modules:
        return False
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    return True
