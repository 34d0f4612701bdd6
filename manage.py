#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coop.settings")
    # manage.py is the developer's tool: with DEBUG unset it runs in development mode, so a fresh
    # clone's `python manage.py migrate` works without a SECRET_KEY. Production always sets
    # DEBUG=false explicitly (deploy/greenshell.env.example, docker-compose.yml), and gunicorn
    # loads coop.wsgi, where an unset DEBUG means off and a SECRET_KEY is required.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
