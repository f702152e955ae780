"""Add newly used messages to every fi/sv catalogue, then translate the empty entries.

.venv/bin/python scripts/update_catalogues.py
"""

from core.catalogues import locale_dirs, update

if __name__ == "__main__":
    for folder in locale_dirs():
        print(folder, update(folder))
