"""The ``planner`` command (typer + rich): a thin layer over the library, one module per concern.

- :mod:`~planner.cli.demo`: ``demo``;
- :mod:`~planner.cli.parcels`: ``idle``, ``stats``, ``readiness``, ``ready``;
- :mod:`~planner.cli.exchange`: ``import``, ``export``;
- :mod:`~planner.cli.siting`: ``match``, ``assign``;
- :mod:`~planner.cli.plan`: ``plan`` (the build-out plan);
- :mod:`~planner.cli.maps`: ``map``;
- :mod:`~planner.cli.serve`: ``serve``;
- :mod:`~planner.cli.common`: what they share (language, consoles, opening a park, errors).

Messages a planner reads are in Chinese by default; ``--lang en`` (or
``PLANNER_LANG=en``) switches them to English.
"""

from __future__ import annotations

from typing import Annotated

import typer

from planner import __version__
from planner.cli import demo, exchange, maps, parcels, plan, serve, siting
from planner.cli.common import console

__all__ = ["app"]

app = typer.Typer(
    name="planner",
    help=(
        "工业园区土地与基础设施规划工具：宗地、七通一平、闲置土地、项目选址。\n\n"
        "Land and infrastructure planner for Chinese industrial parks: parcels, "
        "七通一平 readiness, idle land, project siting."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
"""The ``planner`` command (the console script ``planner = "planner.cli:app"``)."""


def _version(value: bool) -> None:
    if value:
        console.print(f"planner {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本 / Show the version.")
    ] = False,
) -> None:
    """工业园区土地与基础设施规划工具 / Land and infrastructure planner for Chinese industrial parks."""


# in the order `planner --help` lists them
app.command()(demo.demo)
app.command()(parcels.idle)
app.command()(parcels.stats)
app.command()(parcels.readiness)
app.command()(parcels.ready)
app.command("import")(exchange.import_)
app.command("export")(exchange.export)
app.command(name="match")(siting.match_command)
app.command(name="assign")(siting.assign_command)
app.command(name="plan")(plan.plan_command)
app.command(name="map")(maps.map_command)
app.command()(serve.serve)
