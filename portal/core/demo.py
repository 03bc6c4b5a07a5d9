"""Demo content for the embedded default, loaded by ``flask --app wsgi demo load``.

Each domain registers a loader. Loaders must be idempotent: ``make run`` calls them on every start.
"""

from __future__ import annotations

from collections.abc import Callable

DemoLoader = Callable[[], str]
_loaders: list[tuple[str, DemoLoader]] = []


def register_demo(name: str) -> Callable[[DemoLoader], DemoLoader]:
    """Register a loader; it returns a one-line summary of what it did."""

    def decorator(loader: DemoLoader) -> DemoLoader:
        if all(existing != name for existing, _ in _loaders):
            _loaders.append((name, loader))
        return loader

    return decorator


def demo_loaders() -> list[tuple[str, DemoLoader]]:
    return list(_loaders)
