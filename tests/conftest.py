"""Markers registered here rather than in pyproject.toml while ray is an optional dependency."""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "ray: starts a local Ray (deselect with -m 'not ray')")
