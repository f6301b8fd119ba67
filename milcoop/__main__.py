"""``python -m milcoop``: the same as the ``milcoop`` command."""

from milcoop.cli import app

app(prog_name="milcoop")
