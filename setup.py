"""What pyproject.toml cannot say: the `examples/` folder ships inside the wheel as the package
`ven.examples`, so `ven demo` and `vtn-mock serve --scenario` find their data from any install, while a
checkout keeps one copy of each file where a reader looks for it (examples/)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["ven*", "vtn_mock*", "policies*"]), "ven.examples"],
    package_dir={"ven.examples": "examples"},
)
