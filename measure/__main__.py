"""``python -m measure --pipeline ...``: the ``advisor measure`` command without the rest of the CLI."""

from measure.command import main

if __name__ == "__main__":
    main()
