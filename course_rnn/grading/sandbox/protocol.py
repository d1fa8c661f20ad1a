"""The data-only channel between the grader and the sandbox: JSON plus NPY, never pickle.

Threat model: everything that comes out of the sandbox was produced after the student's code
ran, so it may be hostile. A frame is ``magic, JSON length, array count, array lengths, JSON,
NPY blobs``; the reader checks every length against a cap before it buffers anything, parses the
JSON with the standard library, and loads each NPY blob with ``allow_pickle=False`` only after
its header says a plain numeric dtype (``b i u f c``) whose size matches the blob. Object
arrays, structured dtypes, pickles, oversized frames and malformed trees raise
:class:`ProtocolError`. Nothing here calls code of the student's: decoding builds only arrays,
numbers, strings, ``None``, tuples, lists, dicts and :class:`~.records.Opaque` markers.

A value tree is JSON in which every JSON object is a tag: ``{"__nd__": i}`` (array i),
``{"__np__": i}`` (NumPy scalar), ``{"__tensor__": i}`` (torch tensor), ``{"__tuple__": [...]}``,
``{"__dict__": [[key, value], ...]}``, ``{"__opaque__": "TypeName"}`` and, in requests only,
``{"__ref__": [call, index]}``. JSON lists are lists; JSON scalars are themselves.
This file is also copied into the sandbox, so it imports only the standard library and NumPy.
"""

import io
import json
import math
import os
import select
import struct
import sys

import numpy as np

from .records import Opaque, Ref

MAGIC = b"CRS1"
_HEAD = struct.Struct("<4sII")  # magic, JSON length, number of arrays
_LENGTH = struct.Struct("<Q")  # the byte length of one NPY blob
MAX_JSON = 16 << 20  # bytes of JSON in one frame
MAX_ARRAYS = 4096  # arrays in one frame
MAX_DEPTH = 32  # nesting of tuples/lists/dicts in one value
NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex: the only dtypes that cross


class ProtocolError(ValueError):
    """A frame or value tree broke the protocol (malformed, too large, or not plain data)."""


def pack(header: dict, arrays=()) -> bytes:
    """One frame: a JSON-able ``header`` dict plus NPY blobs (``bytes`` each)."""
    text = json.dumps(header, separators=(",", ":")).encode()
    lengths = [_LENGTH.pack(len(blob)) for blob in arrays]
    return b"".join([_HEAD.pack(MAGIC, len(text), len(arrays)), *lengths, text, *arrays])


class FrameReader:
    """Cuts a byte stream into frames, refusing any frame larger than ``max_bytes``."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict, list[bytes]]]:
        """Add bytes; return the frames now complete, as ``(header, [npy blob, ...])``."""
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self):
        buffer = self._buffer
        if len(buffer) < _HEAD.size:
            return None
        magic, n_json, n_arrays = _HEAD.unpack_from(buffer)
        if magic != MAGIC or n_json > MAX_JSON or n_arrays > MAX_ARRAYS:
            raise ProtocolError("bad frame header")
        start = _HEAD.size + _LENGTH.size * n_arrays
        if len(buffer) < start:
            return None
        lengths = [
            _LENGTH.unpack_from(buffer, _HEAD.size + _LENGTH.size * k)[0] for k in range(n_arrays)
        ]
        end = start + n_json + sum(lengths)
        if end > self.max_bytes:
            raise ProtocolError(f"frame of {end} bytes exceeds the limit of {self.max_bytes}")
        if len(buffer) < end:
            return None
        try:
            header = json.loads(bytes(buffer[start : start + n_json]))
        except (ValueError, RecursionError) as error:
            raise ProtocolError(f"frame header is not JSON: {error}") from None
        if not isinstance(header, dict):
            raise ProtocolError("frame header is not a JSON object")
        blobs, offset = [], start + n_json
        for length in lengths:
            blobs.append(bytes(buffer[offset : offset + length]))
            offset += length
        del buffer[:end]
        return header, blobs


def read_frames(fd: int, reader: FrameReader, timeout: float | None) -> list:
    """Wait up to ``timeout`` seconds for bytes on ``fd``; return the frames they complete.

    Raises:
        EOFError: the other end closed the stream.
        ProtocolError: the stream broke the protocol.
    """
    readable, _, _ = select.select([fd], [], [], timeout)
    if not readable:
        return []
    data = os.read(fd, 1 << 20)
    if not data:
        raise EOFError("the other end closed the channel")
    return reader.feed(data)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (a pipe or socket in blocking mode)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def array_to_npy(array: np.ndarray) -> bytes:
    """The NPY file of a numeric array (no pickle)."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_to_array(blob: bytes) -> np.ndarray:
    """Load one NPY blob after checking its header: plain numeric dtype and matching size."""
    stream = io.BytesIO(blob)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ProtocolError(f"unsupported NPY version {version}")
    except ValueError as error:  # ProtocolError is a ValueError too
        raise ProtocolError(f"bad NPY header: {error}") from None
    if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or dtype.fields or dtype.subdtype:
        raise ProtocolError(f"refused an array of dtype {dtype} (only plain numeric dtypes)")
    if len(blob) - stream.tell() != math.prod(shape) * dtype.itemsize:
        raise ProtocolError("NPY blob size does not match its header")
    stream.seek(0)
    return np.load(stream, allow_pickle=False)


def encode(value, arrays: list, *, strict: bool, budget: list | None = None, depth: int = 0):
    """A value as a tagged JSON tree, appending its arrays' NPY blobs to ``arrays``.

    Args:
        value:  what to send
        arrays: list of NPY blobs of the frame, appended to
        strict: True for requests (an unsupported type raises TypeError); False for results
                (an unsupported object becomes ``{"__opaque__": type name}``)
        budget: ``[bytes left]``; ValueError when the arrays would exceed it
        depth:  current nesting (beyond MAX_DEPTH the value is unsupported)

    Returns:
        The JSON-able tree.
    """
    kind = type(value)
    if value is None or kind in (bool, str, float):
        return value
    if kind is int:
        return value if value.bit_length() <= 64 else float(value)
    if depth < MAX_DEPTH:
        if isinstance(value, Ref):
            if not strict:
                return {"__opaque__": "Ref"}
            return {"__ref__": [value.call, value.index]}
        if kind is tuple:
            return {
                "__tuple__": [
                    encode(v, arrays, strict=strict, budget=budget, depth=depth + 1) for v in value
                ]
            }
        if kind is list:
            return [encode(v, arrays, strict=strict, budget=budget, depth=depth + 1) for v in value]
        if kind is dict and all(type(k) is str for k in value):
            items = [
                [k, encode(v, arrays, strict=strict, budget=budget, depth=depth + 1)]
                for k, v in value.items()
            ]
            return {"__dict__": items}
        tag, array = _as_array(value)
        if tag is not None:
            if budget is not None:
                budget[0] -= array.nbytes + 128  # checked before the copy is made
                if budget[0] < 0:
                    raise ValueError("the return value is too large to send back")
            arrays.append(array_to_npy(array))
            return {tag: len(arrays) - 1}
    if strict:
        raise TypeError(f"cannot send a {kind.__name__} to the sandbox")
    return {"__opaque__": kind.__name__[:100]}


def _as_array(value):
    """``(tag, numeric ndarray)`` for arrays, NumPy scalars and tensors; ``(None, None)`` else."""
    if isinstance(value, np.ndarray):
        array, tag = np.asarray(value), "__nd__"  # a subclass travels as its plain data
    elif isinstance(value, np.generic):
        array, tag = np.asarray(value), "__np__"
    else:
        torch = sys.modules.get("torch")
        if torch is None or not isinstance(value, torch.Tensor):
            return None, None
        tensor = value.detach().cpu().resolve_conj().resolve_neg()
        try:
            array = tensor.numpy()
        except TypeError:  # a dtype NumPy lacks, such as bfloat16
            array = tensor.float().numpy()
        tag = "__tensor__"
    if array.dtype.hasobject or array.dtype.kind not in NUMERIC_KINDS or array.dtype.fields:
        return None, None
    return tag, array


def decode(tree, arrays: list, *, refs: bool, used: set | None = None, depth: int = 0):
    """The value a tagged JSON tree stands for (the inverse of :func:`encode`).

    Args:
        tree:   the JSON tree (already parsed by ``json``)
        arrays: the frame's NPY blobs
        refs:   accept ``{"__ref__": ...}`` (requests, decoded in the sandbox); results never do
        used:   indices of blobs already used (each blob is used once)
        depth:  current nesting

    Returns:
        Arrays, NumPy scalars, torch tensors, Python scalars, str, None, tuples, lists, dicts,
        :class:`Opaque` and (with ``refs``) :class:`Ref`.

    Raises:
        ProtocolError: anything else.
    """
    used = set() if used is None else used
    if type(tree) is str:
        return tree if refs else safe_text(tree)
    if tree is None or type(tree) in (bool, int, float):
        return tree
    if depth >= MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if type(tree) is list:
        return [decode(v, arrays, refs=refs, used=used, depth=depth + 1) for v in tree]
    if type(tree) is not dict or len(tree) != 1:
        raise ProtocolError("malformed value tree")
    ((tag, body),) = tree.items()
    if tag == "__tuple__" and type(body) is list:
        return tuple(decode(v, arrays, refs=refs, used=used, depth=depth + 1) for v in body)
    if tag == "__dict__" and type(body) is list:
        if not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in body):
            raise ProtocolError("malformed dict in value tree")
        return {
            (k if refs else safe_text(k)): decode(v, arrays, refs=refs, used=used, depth=depth + 1)
            for k, v in body
        }
    if tag == "__opaque__" and type(body) is str:
        return Opaque(safe_text(body[:100]))
    if tag == "__ref__" and refs and _is_ref(body):
        return Ref(body[0], body[1])
    if tag in ("__nd__", "__np__", "__tensor__") and type(body) is int:
        if not 0 <= body < len(arrays) or body in used:
            raise ProtocolError("bad array index in value tree")
        used.add(body)
        array = npy_to_array(arrays[body])
        if tag == "__np__":
            if array.ndim != 0:
                raise ProtocolError("a NumPy scalar must be a 0-d array")
            return array[()]
        return _as_tensor(array) if tag == "__tensor__" else array
    raise ProtocolError(f"unknown tag {tag!r} in value tree")


def _is_ref(body) -> bool:
    return (
        type(body) is list
        and len(body) == 2
        and type(body[0]) is int
        and (body[1] is None or type(body[1]) is int)
    )


def _as_tensor(array: np.ndarray):
    """A torch tensor over ``array`` when torch is installed (else the array itself)."""
    try:
        import torch
    except ImportError:
        return array
    try:
        return torch.from_numpy(array)
    except TypeError:  # a dtype torch lacks
        return array


def safe_text(text: str) -> str:
    """``text`` with every lone surrogate written as ``\\udXXX``: always encodable as UTF-8.

    JSON may carry ``"\\ud800"``, which ``json.loads`` turns into a lone surrogate that no file
    or terminal can take; a student's exception message is enough to make one.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with a note of how much was dropped."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... [output truncated: {len(text) - limit} more characters]"
