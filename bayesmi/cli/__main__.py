"""``python -m bayesmi.cli``: the ``bayesmi`` command."""

from bayesmi.cli import main

main()
