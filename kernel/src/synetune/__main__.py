"""``python -m synetune``: the same command line as the ``synetune`` script."""

from synetune.cli import main

main()
