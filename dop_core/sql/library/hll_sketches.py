"""BigQuery's own HLL++ sketches (the BYTES ``HLL_COUNT.INIT`` returns on BigQuery), read and merged locally.

A BigQuery sketch is a serialized ``zetasketch.AggregatorStateProto`` (type 112, HYPERLOGLOG_PLUS_UNIQUE,
encoding version 2) whose extension 112 is a ``HyperLogLogPlusUniqueStateProto``: the normal and sparse
precisions and either the sparse list (sorted sparse values, each varint-encoded as the difference to
the one before) or the normal registers. Facts from the public protocol definitions of google/zetasketch
(Apache-2.0); this is DOP's own code.

Locally, sketches in the sparse representation merge exactly as BigQuery merges them (the union of the
sparse values, one per sparse index with its largest rho), and count by linear counting over the sparse
buckets, as HLL++ counts a sparse sketch. What BigQuery would do beyond that (merge sketches of different
precisions, turn a large sparse list into normal registers, count normal registers with its bias
correction) is an error here, never a different sketch or count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: AggregatorStateProto.type of an HLL++ sketch, and the encoding version BigQuery writes
HLL_TYPE = 112
ENCODING_VERSION = 2
#: HyperLogLogPlusUniqueStateProto's legacy value type (its field 7) -> AggregatorStateProto.value_type, as
#: BigQuery rewrites it on merging (2: the legacy INT64 sketches, value type 8)
_LEGACY_VALUE_TYPES = {2: 8}
#: a sparse list longer than this fraction of the normal registers' bytes is turned into registers
_MAX_SPARSE_FRACTION = 0.75
_RHO_BITS = 6


class SketchError(ValueError):
    """Bytes that are no BigQuery sketch, or sketches that cannot be merged (locally)."""


@dataclass
class Sketch:
    num_values: int
    value_type: int
    precision: int
    sparse_precision: int
    sparse: list[int] | None  # the sparse values, sorted; None for the normal representation
    registers: bytes | None

    def merge(self, other: Sketch) -> None:
        if self.value_type and other.value_type and self.value_type != other.value_type:
            raise SketchError("sketches of different types")
        if (self.precision, self.sparse_precision) != (other.precision, other.sparse_precision):
            raise SketchError("merging BigQuery sketches of different precisions is not supported locally")
        if self.sparse is None or other.sparse is None:
            raise SketchError("merging BigQuery sketches in the normal representation is not supported locally")
        self.value_type = self.value_type or other.value_type
        self.num_values += other.num_values
        self.sparse = _dedupe(sorted(self.sparse + other.sparse), self._flag())

    def count(self) -> int:
        if self.sparse is None:
            raise SketchError("counting a BigQuery sketch in the normal representation is not supported locally")
        buckets = 1 << self.sparse_precision
        indexes = len(self.sparse)
        return round(buckets * math.log(buckets / (buckets - indexes)))

    def to_bytes(self) -> bytes:
        if self.sparse is None:
            raise SketchError("a BigQuery sketch in the normal representation cannot be written locally")
        before = [0, *self.sparse[:-1]]
        data = b"".join(_varint(value - last) for last, value in zip(before, self.sparse, strict=True))
        if len(data) > _MAX_SPARSE_FRACTION * (1 << self.precision):
            raise SketchError("a merged BigQuery sketch this large (BigQuery turns it into normal registers) "
                              "is not supported locally")
        inner = (_field_varint(2, len(self.sparse)) if self.sparse else b"") + _field_varint(3, self.precision) + \
            _field_varint(4, self.sparse_precision) + _field_bytes(6, data)
        return _field_varint(1, HLL_TYPE) + _field_varint(2, self.num_values) + \
            _field_varint(3, ENCODING_VERSION) + (_field_varint(4, self.value_type) if self.value_type else b"") + \
            _field_bytes(HLL_TYPE, inner)

    def _flag(self) -> int:
        return 1 << max(self.sparse_precision, self.precision + _RHO_BITS)


def parse(sketch: bytes) -> Sketch:
    """The BigQuery sketch ``sketch``; SketchError if the bytes are none."""
    outer = _fields(sketch)
    state = outer.get(HLL_TYPE)
    if outer.get(1) != HLL_TYPE or outer.get(3) != ENCODING_VERSION or not isinstance(state, bytes):
        raise SketchError("no BigQuery HLL++ sketch")
    inner = _fields(state)
    precision, sparse_precision = _number(inner, 3), _number(inner, 4)
    registers, sparse_data = inner.get(5), inner.get(6)
    if isinstance(registers, bytes) == isinstance(sparse_data, bytes) or not 10 <= precision <= 24:
        raise SketchError("no BigQuery HLL++ sketch")
    if isinstance(registers, bytes) and len(registers) != 1 << precision:
        raise SketchError("no BigQuery HLL++ sketch")
    if isinstance(sparse_data, bytes) and not precision <= sparse_precision <= 25:
        raise SketchError("no BigQuery HLL++ sketch")
    value_type = _number(outer, 4) or _LEGACY_VALUE_TYPES.get(_number(inner, 7), 0)
    return Sketch(_number(outer, 2), value_type, precision, sparse_precision,
                  _values(sparse_data) if isinstance(sparse_data, bytes) else None,
                  registers if isinstance(registers, bytes) else None)


def _number(fields: dict[int, int | bytes], number: int) -> int:
    value = fields.get(number, 0)
    if not isinstance(value, int):
        raise SketchError(f"field {number} is no number")
    return value


def _dedupe(values: list[int], flag: int) -> list[int]:
    """Sorted sparse values with one value per sparse index (a rho-encoded one: the largest rho)."""
    out: list[int] = []
    for value in values:
        same_index = value & flag and out and out[-1] & flag and out[-1] >> _RHO_BITS == value >> _RHO_BITS
        if out and (out[-1] == value or same_index):
            out[-1] = value
        else:
            out.append(value)
    return out


def _values(data: bytes) -> list[int]:
    values, total, position = [], 0, 0
    while position < len(data):
        delta, position = _read_varint(data, position)
        total += delta
        values.append(total)
    return values


def _fields(message: bytes) -> dict[int, int | bytes]:
    """A protocol buffer message's varint and length-delimited fields (the last of each number)."""
    fields: dict[int, int | bytes] = {}
    position = 0
    while position < len(message):
        key, position = _read_varint(message, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields[number], position = _read_varint(message, position)
        elif wire == 2:
            size, position = _read_varint(message, position)
            if position + size > len(message):
                raise SketchError("truncated")
            fields[number], position = bytes(message[position:position + size]), position + size
        else:
            raise SketchError(f"unexpected wire type {wire}")
    return fields


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while position < len(data) and shift < 70:
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if byte < 0x80:
            return value, position
        shift += 7
    raise SketchError("truncated varint")


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _field_bytes(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(value)) + value
