"""The compiled kernels (churnlab/mine/_kernels.c); everything else is in pyproject.toml.

``optional=True``: without a C compiler the install still succeeds and the pure-Python reference runs.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("churnlab.mine._kernels", ["churnlab/mine/_kernels.c"], optional=True)])
