"""``python -m advisor ...`` runs the CLI (same as the ``advisor`` console script)."""

from advisor.cli import main

if __name__ == "__main__":
    main()
