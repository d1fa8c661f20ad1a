"""The data-only channel (JSON + NPY) and the worker's pure helpers, without a sandbox.

Everything the sandbox sends back is decoded by ``protocol.decode``; these tests show that it
returns only plain data and refuses pickles, object arrays, oversized frames and malformed trees.
"""

import io
import struct

import numpy as np
import pytest
import torch

from course_rnn.grading.sandbox import Call, Opaque, ProtocolError, Ref, protocol
from course_rnn.grading.sandbox.client import _request
from course_rnn.grading.sandbox.stub.course_rnn import blocked_message
from course_rnn.grading.sandbox.worker import exception_text, neutralise_magics


def roundtrip(value, *, strict=False):
    arrays = []
    tree = protocol.encode(value, arrays, strict=strict)
    frames = protocol.FrameReader(1 << 30).feed(protocol.pack({"value": tree}, arrays))
    ((header, blobs),) = frames
    return protocol.decode(header["value"], blobs, refs=strict)


def test_roundtrip_keeps_data_and_replaces_objects_by_opaque():
    class Cache:
        pass

    value = (
        np.arange(6.0).reshape(2, 3),
        np.float32(1.5),
        {"dW": np.ones((2, 2), dtype=np.float32), "n": 3},
        [None, True, "text", 2.5, float("nan")],
        Cache(),
        np.array([object()], dtype=object),
    )
    got = roundtrip(value)
    assert type(got) is tuple
    assert len(got) == 6
    np.testing.assert_array_equal(got[0], value[0])
    assert type(got[1]) is np.float32
    assert got[1] == np.float32(1.5)
    assert got[2]["n"] == 3
    assert got[2]["dW"].dtype == np.float32
    assert got[3][:4] == [None, True, "text", 2.5]
    assert np.isnan(got[3][4])
    assert got[4] == Opaque("Cache")
    assert got[5] == Opaque("ndarray")  # an object array never crosses


def test_roundtrip_of_fortran_and_noncontiguous_arrays_and_tensors():
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    got = roundtrip((a, a[:, ::2], torch.arange(4, dtype=torch.float64), torch.ones(2).bfloat16()))
    np.testing.assert_array_equal(got[0], a)
    np.testing.assert_array_equal(got[1], a[:, ::2])
    assert isinstance(got[2], torch.Tensor)
    assert got[2].dtype == torch.float64
    assert isinstance(got[3], torch.Tensor)
    assert got[3].dtype == torch.float32


def test_requests_are_strict_and_carry_refs():
    assert roundtrip((Ref(0, 1), Ref(2)), strict=True) == (Ref(0, 1), Ref(2))
    with pytest.raises(TypeError, match="cannot send a object"):
        protocol.encode(object(), [], strict=True)
    with pytest.raises(TypeError, match="cannot send a dict"):
        protocol.encode({1: 2}, [], strict=True)  # keys must be str


def test_results_never_decode_refs():
    with pytest.raises(ProtocolError, match="unknown tag '__ref__'"):
        protocol.decode({"__ref__": [0, 1]}, [], refs=False)


def test_npy_with_a_pickle_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="dtype object"):
        protocol.npy_to_array(buffer.getvalue())


def test_structured_and_truncated_npy_are_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]))
    with pytest.raises(ProtocolError, match="only plain numeric"):
        protocol.npy_to_array(buffer.getvalue())
    blob = protocol.array_to_npy(np.zeros(100))
    with pytest.raises(ProtocolError, match="does not match"):
        protocol.npy_to_array(blob[:-8])
    with pytest.raises(ProtocolError, match="bad NPY header"):
        protocol.npy_to_array(b"not an npy file at all")


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"__nd__": 0, "__np__": 0}, "malformed"),
        ({"__nd__": 5}, "bad array index"),
        ({"__tuple__": [{"__nd__": 0}, {"__nd__": 0}]}, "bad array index"),  # reused blob
        ({"__dict__": [[1, 2]]}, "malformed dict"),
        ({"__exec__": "print(1)"}, "unknown tag"),
        ({"__np__": 0}, "0-d"),
    ],
)
def test_malformed_trees_are_refused(tree, message):
    blobs = [protocol.array_to_npy(np.zeros(2))]
    with pytest.raises(ProtocolError, match=message):
        protocol.decode(tree, blobs, refs=False)


def test_deep_nesting_is_refused():
    tree = 0
    for _ in range(protocol.MAX_DEPTH + 1):
        tree = [tree]
    with pytest.raises(ProtocolError, match="nested too deeply"):
        protocol.decode(tree, [], refs=False)


def test_frame_reader_checks_sizes_before_buffering():
    reader = protocol.FrameReader(1000)
    header = struct.pack("<4sII", protocol.MAGIC, 10, 1) + struct.pack("<Q", 10**12)
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        reader.feed(header)
    with pytest.raises(ProtocolError, match="bad frame header"):
        protocol.FrameReader(1000).feed(b"XXXX" + bytes(20))


def test_frame_reader_reassembles_frames_from_pieces():
    data = protocol.pack({"a": 1}, [b"xy"]) + protocol.pack({"b": 2})
    reader = protocol.FrameReader(1000)
    frames = [frame for byte in data for frame in reader.feed(bytes([byte]))]
    assert frames == [({"a": 1}, [b"xy"]), ({"b": 2}, [])]


def test_budget_refuses_a_too_large_return_value_before_copying():
    with pytest.raises(ValueError, match="too large"):
        protocol.encode(np.zeros(1000), [], strict=False, budget=[100])


def test_magics_and_shell_lines_are_neutralised():
    source = "%matplotlib inline\n!pip install x\nx = 1\nif x:\n    %time y = 2\n"
    assert neutralise_magics(source) == "pass\npass\nx = 1\nif x:\n    pass\n"
    assert neutralise_magics("%%time\nz = 3\n") == "pass\nz = 3\n"
    assert neutralise_magics("%%bash\necho hi\n") == "pass\n"


def test_exception_text_names_type_and_message_and_truncates():
    assert exception_text(ValueError("bad shape")) == "ValueError: bad shape"
    assert exception_text(SystemExit()) == "SystemExit"
    assert len(exception_text(ValueError("x" * 5000))) == 1003

    class NastyError(Exception):
        def __str__(self):
            raise RuntimeError

    assert exception_text(NastyError()) == "NastyError: <unprintable message>"


def test_blocked_message_names_the_subpackage():
    assert blocked_message("course_rnn.numpy_nn.rnn") == (
        "course_rnn.numpy_nn: the course's reference implementations are blocked inside the "
        "grader; write the function yourself"
    )


def test_bad_requests_are_refused_before_reaching_a_server():
    with pytest.raises(ValueError, match="not an earlier call"):
        _request([], [Call("f", (Ref(0),))], 1.0)
    with pytest.raises(TypeError, match="cells must be strings"):
        _request([["x = 1"]], [], 1.0)
    with pytest.raises(TypeError, match="cannot send a set"):
        _request([], [Call("f", ({1, 2},))], 1.0)
    with pytest.raises(ValueError, match="timeout must be positive"):
        _request([], [Call("f", timeout=0)], 1.0)


def test_strings_from_the_sandbox_come_out_encodable():
    """V01: JSON lets a frame carry lone surrogates; decoded results never hold one."""
    tree = {"__dict__": [["k\ud800", ["v\udcff", {"__opaque__": "T\udfff"}, "fine é"]]]}
    ((header, blobs),) = protocol.FrameReader(1 << 20).feed(protocol.pack({"value": tree}))
    value = protocol.decode(header["value"], blobs, refs=False)
    assert value == {"k\\ud800": ["v\\udcff", Opaque("T\\udfff"), "fine é"]}
    assert protocol.safe_text("ok \ud83d") == "ok \\ud83d"
