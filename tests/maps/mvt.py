"""A small Mapbox Vector Tile decoder written from the specification (2.1), apart from the encoder.

It reads the protobuf wire format by hand (varints, length-delimited, fixed 32/64 bits) and
the geometry commands, and knows nothing of ``planner.maps.tiles``.
"""

from __future__ import annotations

import itertools
import struct


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(data: bytes) -> list[tuple[int, int, object]]:
    """(field number, wire type, value) of a message: ints for varints, bytes for the rest."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {wire} is not used by vector tiles")
        out.append((number, wire, value))
    return out


def packed(data: bytes) -> list[int]:
    values, pos = [], 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        values.append(value)
    return values


def unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def value(data: bytes) -> object:
    ((number, _, raw),) = fields(data)
    if number == 1:
        return raw.decode("utf-8")
    if number == 2:
        return struct.unpack("<f", raw)[0]
    if number == 3:
        return struct.unpack("<d", raw)[0]
    if number in (4, 5):
        return raw
    if number == 6:
        return unzigzag(raw)
    if number == 7:
        return bool(raw)
    raise ValueError(f"unknown value field {number}")


def rings(commands: list[int]) -> list[list[tuple[int, int]]]:
    """The rings of a polygon geometry, in tile units; each closed (first point repeated)."""
    out: list[list[tuple[int, int]]] = []
    x = y = 0
    pos = 0
    ring: list[tuple[int, int]] = []
    while pos < len(commands):
        command, count = commands[pos] & 7, commands[pos] >> 3
        pos += 1
        if command == 1:  # MoveTo
            assert count == 1
            x += unzigzag(commands[pos])
            y += unzigzag(commands[pos + 1])
            pos += 2
            ring = [(x, y)]
        elif command == 2:  # LineTo
            for _ in range(count):
                x += unzigzag(commands[pos])
                y += unzigzag(commands[pos + 1])
                pos += 2
                ring.append((x, y))
        elif command == 7:  # ClosePath
            assert count == 1
            out.append([*ring, ring[0]])
        else:
            raise ValueError(f"unknown command {command}")
    return out


def signed_area(ring: list[tuple[int, int]]) -> float:
    """The surveyor's formula on tile coordinates as they are (y down)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def decode(data: bytes) -> dict[str, dict]:
    """``{layer name: {"extent", "version", "features": [{"id", "type", "properties", "rings"}]}}``."""
    layers = {}
    for number, _, raw in fields(data):
        assert number == 3, f"a tile holds only layers (field 3), found field {number}"
        name, extent, version, keys, values, features = None, 4096, 1, [], [], []
        for n, _, v in fields(raw):
            if n == 1:
                name = v.decode("utf-8")
            elif n == 2:
                features.append(v)
            elif n == 3:
                keys.append(v.decode("utf-8"))
            elif n == 4:
                values.append(value(v))
            elif n == 5:
                extent = v
            elif n == 15:
                version = v
        decoded = []
        for raw_feature in features:
            feature = {"id": None, "type": None, "properties": {}, "rings": []}
            for n, _, v in fields(raw_feature):
                if n == 1:
                    feature["id"] = v
                elif n == 2:
                    tags = packed(v)
                    feature["properties"] = {keys[k]: values[i] for k, i in zip(tags[::2], tags[1::2], strict=True)}
                elif n == 3:
                    feature["type"] = v
                elif n == 4:
                    feature["rings"] = rings(packed(v))
            decoded.append(feature)
        layers[name] = {"extent": extent, "version": version, "features": decoded}
    return layers
