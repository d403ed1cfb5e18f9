"""The worked examples (data files only), installed with v2x-ven as the package `ven.examples`:
read them with `importlib.resources.files("ven.examples")` (ven.demo.showcase does).

The plug-in example (`plugin/`) is a project of its own and is not shipped.
"""
