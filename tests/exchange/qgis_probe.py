"""Open layers in QGIS (PyQGIS, run by the system's Python) and print what QGIS sees, as JSON.

Run by ``tests/exchange/test_qgis.py`` with the Python that Debian's ``python3-qgis`` is built for:
``python3 qgis_probe.py URI [URI ...]``, each URI as QGIS's OGR provider takes it
(``path|layername=NAME`` or a file). For each layer: whether it is valid, its feature count and CRS,
the default style QGIS applied (renderer, the expression it classifies by and how many features fall
in each category, by the category's value, labels, the columns' aliases), and every style stored in
the GeoPackage, each applied in turn the same way. Also every message QGIS logged at warning level
or above while opening them.
Not imported by the planner or the tests: it needs QGIS, which the test environment's Python lacks.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

ARGV: list[str] = []
"""QGIS keeps a pointer to its arguments: the list must outlive the application."""


def _renderer(layer: QgsVectorLayer) -> dict:
    """The layer's renderer as applied: type, attribute, and the number of features in each category."""
    renderer = layer.renderer()
    seen: dict = {"type": renderer.type() if renderer else None}
    if renderer is None or renderer.type() != "categorizedSymbol":
        return seen
    categories = renderer.categories()
    expression = QgsExpression(renderer.classAttribute())
    context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    expression.prepare(context)
    counts = dict.fromkeys((str(c.value()) for c in categories), 0)
    unmatched = 0
    for feature in layer.getFeatures():
        context.setFeature(feature)
        value = expression.evaluate(context)
        if expression.hasEvalError():
            seen["eval_error"] = expression.evalErrorString()
            break
        index = renderer.categoryIndexForValue(value)  # QGIS's own matching (NULL takes the "" category)
        if index < 0:
            unmatched += 1
        else:
            counts[str(categories[index].value())] += 1
    seen.update(attribute=renderer.classAttribute(), counts=counts, unmatched=unmatched)
    return seen


def _layer(uri: str) -> dict:
    layer = QgsVectorLayer(uri, "probe", "ogr")
    seen: dict = {"valid": layer.isValid()}
    if not layer.isValid():
        return seen
    seen.update(
        count=layer.featureCount(),
        crs=layer.crs().authid(),
        labels=layer.labelsEnabled(),
        aliases={f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
        default=_renderer(layer),
    )
    stored: dict = {}
    if ".gpkg" not in uri:  # only a GeoPackage stores styles (asking a file layer logs a warning)
        seen["stored"] = stored
        return seen
    related, ids, names, _, _ = layer.listStylesInDatabase()  # this layer's styles first, then the others'
    for style_id, name in zip(ids[:related], names[:related], strict=True):
        qml, _ = layer.getStyleFromDatabase(style_id)
        doc = QDomDocument()
        doc.setContent(qml)
        ok, message = layer.importNamedStyle(doc)
        stored[name] = {"applied": ok, "message": message, **_renderer(layer)}
    seen["stored"] = stored
    return seen


def main(uris: list[str]) -> None:
    app = QgsApplication(ARGV, False)
    app.initQgis()
    messages: list[tuple[str, int, str]] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda message, tag, level: messages.append((tag, int(level), message))
    )
    layers = {uri: _layer(uri) for uri in uris}
    warnings = [m for m in messages if m[1] >= int(Qgis.Warning)]
    print(json.dumps({"qgis": Qgis.QGIS_VERSION, "layers": layers, "warnings": warnings}, ensure_ascii=False))
    app.exitQgis()


if __name__ == "__main__":
    main(sys.argv[1:])
