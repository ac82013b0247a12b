"""Packages by discovery (metadata is in pyproject.toml): every subpackage of reconciler is in
the wheel without being listed by hand (a hand list once left out reconciler.synth, and
`reconciler demo` crashed on every non-editable install), and the top-level rules/, which users
edit in a checkout, ships inside the package as reconciler.default_rules."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["reconciler", "reconciler.*"]), "reconciler.default_rules"],
    package_dir={"reconciler.default_rules": "rules"},
)
