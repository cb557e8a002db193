"""The exchange commands: ``import`` (files into a park, checked first) and ``export`` (parcels for GIS and the bureau).

Both are the library's (:mod:`planner.exchange`); these commands check their options, print
what was read, written or refused, and the problems found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import pandas as pd
import pyogrio.errors
import typer
from rich.markup import escape
from rich.table import Table

from planner.cli.common import LangOption, ParkArg, console, fail, language_of, open_park, print_problems, tr
from planner.codes import LAND_USE_SYSTEMS
from planner.errors import PlannerError, Problem, ValidationError, feature_zh
from planner.exchange.dem import import_dem, is_dem
from planner.exchange.export import EXPORT_FORMATS, export_parcels
from planner.exchange.importer import LEFT_OUT, ImportReport, import_file, target_layer
from planner.store.failures import plainly, why_unwritable

__all__ = ["export", "import_"]

# the options of `planner import`
_File = Annotated[
    Path, typer.Argument(help="要导入的文件 / The file to import (GeoJSON, GPKG, SHP, FGB, OSM, TXT, DXF).")
]
_Layer = Annotated[
    str | None,
    typer.Option(
        "--layer",
        help="目标图层 / Target layer: parcels, roads, water, drainage, power, telecom, gas, heat, sources, "
        "boundary (园区四至) (default: from the data).",
    ),
]
_SourceLayer = Annotated[
    str | None, typer.Option("--source-layer", help="读取文件中的图层 / The file's layer to read (GeoPackage).")
]
_ImportCrs = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="文件坐标系，如 4490、4527；DXF 为3度带带号或其EPSG / The file's CRS (overrides .prj), e.g. 4490, 4527; "
        "for a DXF the 3-degree Gauss–Krüger zone (39) or its EPSG code.",
    ),
]
_Encoding = Annotated[
    str | None, typer.Option("--encoding", help="文本编码 gbk 或 utf-8 / Text encoding of SHP or TXT (gbk, utf-8).")
]
_Mapping = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="字段对照文件 JSON/YAML：columns、values、defaults，格式与完整示例见 README.md「Field-mapping files」/ "
        "Field-mapping file (JSON or YAML): columns, values, defaults; its format, with a full example, is in "
        "README.md, section 'Field-mapping files (--mapping)'.",
    ),
]
_FromGcj02 = Annotated[
    bool, typer.Option("--from-gcj02", help="坐标为 GCJ-02（高德/腾讯）/ Coordinates are GCJ-02 (Gaode/Tencent maps).")
]
_NotGcj02 = Annotated[
    bool,
    typer.Option(
        "--not-gcj02", help="坐标不是 GCJ-02，跳过检测 / The coordinates are not GCJ-02: skip the GCJ-02 check."
    ),
]
_SwapAxes = Annotated[
    bool, typer.Option("--swap-axes", help="交换 x、y / Swap x and y (lat/lon or northing/easting given first).")
]
_AcceptFixes = Annotated[
    bool, typer.Option("--accept-fixes", help="采用建议的坐标修正 / Apply the coordinate fixes the checks propose.")
]
_CapacityKva = Annotated[
    float | None,
    typer.Option(
        "--capacity-kva", help="未注明容量的变电站按此容量 / Capacity (kVA) assumed for substations without one."
    ),
]
_Replace = Annotated[
    bool, typer.Option("--replace", help="以文件内容替换图层 / Replace the layer(s) instead of adding and updating.")
]
_ParkId = Annotated[str | None, typer.Option("--park-id", help="新建园区的编号 / Id of a park the import creates.")]
_ParkName = Annotated[
    str | None, typer.Option("--park-name", help="新建园区的名称 / Name of a park the import creates.")
]
_DryRun = Annotated[bool, typer.Option("--dry-run", help="只检查不写入 / Check only; write nothing.")]
_LandUseCodes = Annotated[
    str,
    typer.Option(
        "--land-use-codes",
        help="地类编码体系：auto（按编码判断）、2023（用地用海分类）、gb21010（三调/土地利用现状分类）/ Land-use codes "
        "of the file: auto (told from the codes; GB/T 21010-2017 codes such as 0601 are converted), 2023 or gb21010.",
    ),
]
_MakeIds = Annotated[
    str | None,
    typer.Option(
        "--make-ids",
        help="无编号时按“前缀+顺序号”编号（如 DK001），重复的线编号加 -1、-2 / "
        "Make ids: PREFIX and the feature's order (DK001) where the file has none; repeated line ids get -1, -2.",
    ),
]
_Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="全部或全不：任一要素无法导入即拒绝整个文件 / All or nothing: refuse the whole file if any feature "
        "cannot be imported (by default it is left out and listed, and the rest goes in).",
    ),
]
_CadLayer = Annotated[
    str | None,
    typer.Option("--cad-layer", help="DXF 中读取的 CAD 图层 / The CAD layer of a DXF drawing to read (e.g. 宗地)."),
]
_IdFromText = Annotated[
    bool,
    typer.Option(
        "--id-from-text",
        help="以多边形内的文字（TEXT/MTEXT）为宗地编号 / A DXF parcel's id is the text inside its polygon.",
    ),
]
_DemDate = Annotated[
    str | None,
    typer.Option("--dem-date", help="高程数据的测绘日期 YYYY-MM-DD / When the DEM was taken (default: its date tag)."),
]
_Report = Annotated[Path | None, typer.Option("--report", help="问题清单另存 CSV / Write every problem found as CSV.")]
_ImportBy = Annotated[str, typer.Option("--by", help="操作人 / Who imports (kept in the history).")]

# the options of `planner export`
_To = Annotated[
    str, typer.Option("--to", help="格式 geojson、gpkg、shp、txt、csv / Format: geojson, gpkg, shp, txt or csv.")
]
_Out = Annotated[Path, typer.Option("--out", help="输出文件 / The file to write.")]
_ExportCrs = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="gpkg/shp 坐标系：4490（经纬度）或 gk（带带号的高斯-克吕格）/ CRS of gpkg and shp: 4490 or gk.",
    ),
]
_Ready = Annotated[
    bool | None, typer.Option("--ready/--not-ready", help="只导出熟地/生地 / Only ready (熟地) or raw (生地) land.")
]
_MinMu = Annotated[float | None, typer.Option("--min-mu", help="最小面积（亩）/ Least area in mu.")]
_MaxMu = Annotated[float | None, typer.Option("--max-mu", help="最大面积（亩）/ Largest area in mu.")]
_Status = Annotated[str | None, typer.Option("--status", help="供地状态 / Supply status, e.g. reserved.")]
_Industry = Annotated[str | None, typer.Option("--industry", help="行业代码 / GB/T 4754 code, e.g. C36.")]
_LandUse = Annotated[str | None, typer.Option("--land-use", help="用地分类代码 / Land-use code, e.g. 1001.")]
_Idle = Annotated[
    bool | None, typer.Option("--idle/--not-idle", help="只导出闲置/非闲置土地 / Only idle or not idle land.")
]

_Labels = Annotated[
    str,
    typer.Option(
        "--labels",
        help="shp/csv 取值：zh（是/否、中文名称、按意义取整，默认）或 codes（原始代码）/ "
        "Shapefile and CSV values: zh (是/否, Chinese labels, rounded numbers; default) or codes (stored codes).",
    ),
]
_ExportLandUseCodes = Annotated[
    str,
    typer.Option(
        "--land-use-codes",
        help="地类编码：2023（用地用海分类）或 gb21010（三调/土地利用现状分类）/ "
        "Land-use codes written: 2023 or gb21010.",
    ),
]

_SEVERITY = {
    "error": ("拒绝", "refused", "red"),
    LEFT_OUT: ("未导入", "left out", "magenta"),
    "warning": ("提示", "warning", "yellow"),
    "repair": ("修复", "repaired", "cyan"),
}
"""How each severity of a problem is named and coloured."""


def import_(  # noqa: PLR0913 - a typer command takes each of its command-line options as a parameter
    park: ParkArg,
    file: _File,
    layer: _Layer = None,
    source_layer: _SourceLayer = None,
    crs: _ImportCrs = None,
    encoding: _Encoding = None,
    mapping: _Mapping = None,
    from_gcj02: _FromGcj02 = False,
    not_gcj02: _NotGcj02 = False,
    swap_axes: _SwapAxes = False,
    accept_fixes: _AcceptFixes = False,
    capacity_kva: _CapacityKva = None,
    replace: _Replace = False,
    park_id: _ParkId = None,
    park_name: _ParkName = None,
    dry_run: _DryRun = False,
    strict: _Strict = False,
    land_use_codes: _LandUseCodes = "auto",
    make_ids: _MakeIds = None,
    cad_layer: _CadLayer = None,
    id_from_text: _IdFromText = False,
    dem_date: _DemDate = None,
    report: _Report = None,
    by: _ImportBy = "planner import",
    lang: LangOption = None,
) -> None:
    """导入宗地、路网、管网或源点（GeoJSON、GeoPackage、Shapefile、FlatGeobuf、OSM、报部TXT）。

    Import parcels, roads, networks or sources; validated first, written in one transaction.
    Features that cannot be imported are left out and listed (--strict: all or nothing).
    Columns of other names: a field-mapping file (--mapping), see README.md "Field-mapping files".
    """
    language = language_of(lang)
    if is_dem(file):
        _import_dem(park, file, dem_date, by, language, dry_run=dry_run)
        return
    _check_import_options(layer, capacity_kva, land_use_codes)
    try:
        result = import_file(
            park,
            file,
            layer=layer,
            source_layer=source_layer,
            crs=crs,
            encoding=encoding,
            mapping=mapping,
            from_gcj02=from_gcj02,
            not_gcj02=not_gcj02,
            swap_axes=swap_axes,
            accept_fixes=accept_fixes,
            capacity_kva=capacity_kva,
            mode="replace" if replace else "upsert",
            park_id=park_id,
            park_name=park_name,
            by=by,
            dry_run=dry_run,
            strict=strict,
            land_use_codes=land_use_codes,
            make_ids=make_ids,
            cad_layer=cad_layer,
            id_from_text=id_from_text,
        )
    except ValidationError as exc:
        _refuse(exc, file, report, language)
    except PlannerError as exc:
        fail(exc, language)
    _print_import(result, file, language)
    if report:
        _write_report(result.problems, report)
    if dry_run:
        console.print(tr(language, "仅检查（--dry-run），未写入。", "Checked only (--dry-run); nothing was written."))
    else:
        console.print(
            tr(
                language,
                f"{'已新建园区并' if result.created else '已'}写入 {result.park}（{result.seconds:.1f} 秒）",
                f"{'Created the park and wrote' if result.created else 'Wrote'} {result.park} ({result.seconds:.1f} s)",
            )
        )


def _import_dem(park: str, file: Path, dem_date: str | None, by: str, language: str, *, dry_run: bool) -> None:
    """Import a DEM (a raster file): reprojected to the park's zone, kept beside it; what was done is printed.

    ``dry_run``: the same checks and figures, saying what would be written; nothing is written.
    """
    try:
        result = import_dem(park, file, taken=dem_date, by=by, dry_run=dry_run)
    except ValidationError as exc:
        _refuse(exc, file, None, language)
    except (PlannerError, ValueError) as exc:
        fail(exc, language)
    low, high = result.elevation_m
    arrow_zh, arrow_en = ("→（将写入）", "→ (would write)") if dry_run else ("→", "→")
    console.print(
        tr(
            language,
            f"高程：{file.name}（{result.source_crs}）{arrow_zh} {result.written}，格网 {result.cell_m:g} 米，"
            f"{result.shape[1]}×{result.shape[0]} 格，高程 {low:,.1f}–{high:,.1f} 米，测绘日期 {result.date}",
            f"DEM: {file.name} ({result.source_crs}) {arrow_en} {result.written}, {result.cell_m:g} m cells, "
            f"{result.shape[1]}×{result.shape[0]}, elevation {low:,.1f}–{high:,.1f} m, taken {result.date}",
        )
    )
    print_problems(result.problems, language)
    if dry_run:
        console.print(
            tr(
                language,
                f"仅检查（--dry-run），未写入：{result.written.name} 与园区的高程设置（dem、dem_source 等）均未改动。",
                f"Checked only (--dry-run); nothing was written: neither {result.written.name} nor the park's DEM "
                "settings (dem, dem_source, …) were changed.",
            )
        )


def _check_import_options(layer: str | None, capacity_kva: float | None, land_use_codes: str) -> None:
    """Refuse a layer that does not exist, a capacity that is none and unknown codes, before reading the file."""
    if land_use_codes not in LAND_USE_SYSTEMS:
        msg = f"'{land_use_codes}' is not allowed; use {', '.join(LAND_USE_SYSTEMS)}"
        raise typer.BadParameter(msg, param_hint="--land-use-codes")
    if layer is not None:
        try:
            target_layer(layer)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--layer") from None
    if capacity_kva is not None and capacity_kva <= 0:
        msg = f"{capacity_kva:g} kVA is not a capacity; give a number above 0"
        raise typer.BadParameter(msg, param_hint="--capacity-kva")


def _refuse(exc: ValidationError, file: Path, report: Path | None, language: str) -> NoReturn:
    """A refused import: every problem in a table (and the report), then the refusal as the error."""
    title = tr(language, f"导入 {file.name}：问题", f"Import of {file.name}: problems")
    console.print(_problem_table(exc.problems, language, title=title))
    if report:
        _write_report(exc.problems, report)
    refused = tr(
        language,
        f"导入被拒绝：{len(exc.errors)} 个错误，未写入任何数据，园区保持原样",
        f"import refused: {len(exc.errors)} error(s); nothing was written, the park is as it was",
    )
    fail(Exception(refused), language)


def _print_import(result: ImportReport, file: Path, language: str) -> None:
    """What the import read and wrote per layer, the features it changed, and its repairs and warnings."""
    table = Table(title=tr(language, f"导入 {file.name}", f"Import of {file.name}"))
    heads = (("图层", "layer"), ("读入", "read"), ("未导入", "left out"), ("新增", "inserted"), ("更新", "updated"))
    for zh, en in (*heads, ("未变", "unchanged"), ("删除", "deleted")):
        table.add_column(tr(language, zh, en), justify="left" if en == "layer" else "right")
    left = result.left_out_counts()
    for name, count in result.read.items():
        w = result.layers.get(name)
        table.add_row(
            name,
            str(count),
            str(left.get(name, 0)),
            *(str(getattr(w, k)) if w else "—" for k in ("inserted", "updated", "unchanged", "deleted")),
        )
    console.print(table)
    if result.left_out:
        title = tr(
            language,
            f"未导入的要素（{len(result.left_out)}）：其余已导入；改正后再导入，--strict 则整个文件不导入",
            f"Features left out ({len(result.left_out)}): the rest went in; correct them and import again "
            "(--strict refuses the whole file instead)",
        )
        console.print(_problem_table(result.left_out, language, title=title))
    changes = result.changes()
    if len(changes):
        shown = 20
        lines = [f"  {row.layer} {row.feature_id}: {row.columns}" for row in changes.head(shown).itertuples()]
        more = (
            [tr(language, f"  另有 {len(changes) - shown} 个要素", f"  and {len(changes) - shown} more")]
            if len(changes) > shown
            else []
        )
        title = tr(language, "更新的要素及变化的字段：", "Updated features and the columns that changed:")
        console.print("\n".join([title, *lines, *more]), markup=False)
    others = [p for p in result.problems if p.severity != LEFT_OUT]
    if others:
        console.print(_problem_table(others, language, title=tr(language, "修复与提示", "Repairs and warnings")))


def _problem_table(problems: Sequence[Problem], lang: str, *, title: str, limit: int = 50) -> Table:
    """The problems, errors first, each naming its feature and field (the first ``limit`` of them)."""
    table = Table(title=title, show_lines=False)
    for zh, en in (("类别", "kind"), ("要素", "feature"), ("字段", "field"), ("说明", "message")):
        table.add_column(tr(lang, zh, en), overflow="fold")
    order = {"error": 0, LEFT_OUT: 1, "warning": 2, "repair": 3}
    for p in sorted(problems, key=lambda p: order.get(p.severity, 3))[:limit]:
        zh, en, colour = _SEVERITY.get(p.severity, (p.severity, p.severity, "white"))
        feature = feature_zh(p.feature) if lang == "zh" else p.feature
        if p.parcel_id is not None:
            who = f"{feature} {p.parcel_id}"
        elif p.row is not None:
            who = tr(lang, f"{feature} 第 {p.row} 行", f"{feature} #{p.row}")
        else:
            who = feature
        table.add_row(f"[{colour}]{tr(lang, zh, en)}[/{colour}]", escape(who), p.field or "", escape(p.text(lang)))
    if len(problems) > limit:
        table.caption = tr(
            lang,
            f"另有 {len(problems) - limit} 条，用 --report 导出全部",
            f"{len(problems) - limit} more; --report writes them all",
        )
    return table


def _write_report(problems: Sequence[Problem], path: Path) -> None:
    """Every problem as a CSV row: severity, feature, its id or row, field, message (English) and ``message_zh``."""
    columns = ["severity", "feature", "parcel_id", "row", "field", "message", "message_zh"]
    rows = [p.as_dict() | {"message_zh": p.text("zh")} for p in problems]
    frame = pd.DataFrame(rows, columns=columns).rename(columns={"parcel_id": "feature_id"})
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def export(  # noqa: PLR0913 - a typer command takes each of its command-line options as a parameter
    park: ParkArg,
    to: _To,
    out: _Out,
    crs: _ExportCrs = None,
    ready_only: _Ready = None,
    min_mu: _MinMu = None,
    max_mu: _MaxMu = None,
    status: _Status = None,
    industry: _Industry = None,
    land_use: _LandUse = None,
    idle_only: _Idle = None,
    land_use_codes: _ExportLandUseCodes = "2023",
    labels: _Labels = "zh",
    lang: LangOption = None,
) -> None:
    """导出宗地：GeoJSON（WGS84）、GeoPackage/Shapefile（CGCS2000，中文字段）、报部TXT。

    Export parcels: RFC 7946 GeoJSON, or CGCS2000 GeoPackage, Shapefile and TXT for the land bureau.
    """
    language = language_of(lang)
    _check_export_options(to, crs)
    if land_use_codes not in ("2023", "gb21010"):
        msg = f"'{land_use_codes}' is not allowed; use 2023 or gb21010"
        raise typer.BadParameter(msg, param_hint="--land-use-codes")
    if labels not in ("zh", "codes"):
        msg = f"'{labels}' is not allowed; use zh (Chinese labels) or codes"
        raise typer.BadParameter(msg, param_hint="--labels")
    store = open_park(park, language)
    try:
        result = export_parcels(
            store,
            to,
            out,
            crs=crs or "4490",
            ready=ready_only,
            min_area_mu=min_mu,
            max_area_mu=max_mu,
            status=status,
            industry=industry,
            land_use=land_use,
            idle=idle_only,
            land_use_codes=land_use_codes,
            labels=labels,
        )
    except PlannerError as exc:
        fail(exc, language)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:  # a full or read-only disk
        out.unlink(missing_ok=True)  # a file cut short is no export
        cause = why_unwritable(out.parent) or plainly(exc)
        fail(Exception(tr(language, f"无法写入 {out}：{cause}", f"cannot write {out}: {cause}")), language)
    for note in result.notes:
        console.print(f"[yellow]{note}[/yellow]")
    console.print(
        tr(
            language,
            f"已导出 {result.parcels} 宗地 → {result.path}（{result.crs}）",
            f"Exported {result.parcels} parcels to {result.path} ({result.crs})",
        )
    )


def _check_export_options(to: str, crs: str | None) -> None:
    """Refuse an unknown format, and a CRS for a format whose CRS is fixed or one that is not allowed."""
    if to not in EXPORT_FORMATS:
        msg = f"'{to}' is not an export format; allowed: {', '.join(EXPORT_FORMATS)}"
        raise typer.BadParameter(msg, param_hint="--to")
    if crs is not None and to in ("geojson", "txt", "csv"):
        fixed = {"geojson": "WGS84 (RFC 7946)", "txt": "Gauss–Krüger with zone prefix (报部格式)"}.get(
            to, "without geometry"
        )
        msg = f"{to} is always {fixed}; --crs is for gpkg and shp"
        raise typer.BadParameter(msg, param_hint="--crs")
    if crs is not None and crs not in ("4490", "gk"):
        msg = f"'{crs}' is not allowed; use 4490 (CGCS2000 lon/lat) or gk (Gauss–Krüger)"
        raise typer.BadParameter(msg, param_hint="--crs")
