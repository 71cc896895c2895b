"""The web app and HTTP API of evgrid (``evgrid serve``): a face over the library, like the CLI.

:func:`evgrid.web.app.create_app` builds the FastAPI application; ``evgrid serve`` runs it with
uvicorn. It needs the ``web`` extra (``pip install "evgrid[web]"``). Nothing in evgrid imports
this package except the ``serve`` command.
"""
