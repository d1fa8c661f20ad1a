"""The sandboxed execution engine of the instructor grader.

A student's notebook is untrusted code. :class:`Sandbox` runs its code cells, then the grader's
:class:`Call`\\ s, in confined worker processes and returns only data (:class:`SubmissionRun`); the
grader compares that data with its own reference results in its own process.

Threats and answers, in one place (details in each module's docstring):

- Fooling the comparison (patching ``numpy.allclose``, builtins, the stub ``course_rnn``): the
  student's processes only compute; values come back over a data-only channel (JSON + NPY with
  ``allow_pickle=False``, capped, object arrays refused), every string made safe to encode, and
  are compared by the grader.
- Reading hidden tests or solutions, writing into the output folder, the network: bubblewrap
  mounts only read-only system folders, Python, site-packages and the worker code, plus an empty
  tmpfs, in namespaces of its own with no network (``confine.py``). ``"auto"`` is bubblewrap or a
  refusal that says what is missing; weaker modes (``uid``, ``landlock``, ``rlimits-only``) run
  only when named, announced first, each with its own checks (``modes.py``, ``access.py``).
- Reaching another submission, the server or the grader: the server is the namespace's pid 1
  and not dumpable; a seccomp filter (``seccomp.py``) refuses tracing, new namespaces, System V
  and POSIX IPC, memfds, non-Unix sockets and CPU-affinity changes; the sweep removes leftover IPC
  objects; each server has its own CPU core and, where possible, control group (``cgroups.py``).
- Calling the course's reference implementations: the sandbox's ``course_rnn`` is a stub whose
  ``numpy_nn``, ``torch_nn``, ``gradcheck``, ``train``... raise an ImportError that says so.
- Hangs, crashes, ``sys.exit``, huge allocations or output, fork bombs, daemons: per-cell and
  per-call timeouts, one forked process per step (a dead step loses only itself: see
  ``worker.py``), rlimits (CPU, address space, file size, processes, no core), an unprivileged
  uid, captured and truncated output, and a sweep that kills everything left after each
  submission (``server.py``).
- Speed: each server imports numpy and torch once and forks per submission.
"""

from .client import Sandbox
from .modes import SandboxError
from .protocol import ProtocolError
from .records import Call, CallResult, Opaque, Ref, SubmissionRun

__all__ = [
    "Call",
    "CallResult",
    "Opaque",
    "ProtocolError",
    "Ref",
    "Sandbox",
    "SandboxError",
    "SubmissionRun",
]
