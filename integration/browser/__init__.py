"""The headless-browser suite (a package so that its conftest.py does not shadow integration/python's `conftest`
module, which that suite's tests import by name)."""
