"""The generated class of ``bench_similarity.py``: templates expanded per student, copies
disguised, notebooks written from the instructor notebooks.

A notebook is ``solutions/<exercise>.ipynb`` with each solution region replaced: a graded task
of that exercise by the student's body, any other stubbed function (the forward functions the
``bptt`` notebook asks students to paste again) by the instructor's own lines, the same for
everyone. Outputs are cleared.
"""

import ast
import functools
import io
import itertools
import json
import random
import re
import tempfile
import tokenize
from pathlib import Path

from similarity_styles import PACKAGE, STYLES

from course_rnn.grading.notebook import BEGIN, END
from course_rnn.grading.tasks import load_exercises

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
#: The exercises with an instructor notebook and a style for every task (exercises added later
#: are left out until their styles are written).
EXERCISES = {
    e.name: [t.name for t, _ in e.graded]
    for e in load_exercises(SOLUTIONS)
    if (SOLUTIONS / f"{e.name}.ipynb").is_file() and all(t.name in STYLES for t, _ in e.graded)
}
TASK_EXERCISE = {task: ex for ex, tasks in EXERCISES.items() for task in tasks}
COMMENTS = (
    "shape (B, H)",
    "pre-activation",
    "accumulate over time",
    "see the lecture notes",
    "TODO double-check",
    "vectorised",
    "careful with the transpose",
    "sum over the batch",
    "numerically stable",
    "this was tricky",
)
VARY = 0.5  # the rate of each meaning-keeping rewrite in an independent student's code
RESTRUCTURED = 0.3  # the share of copies that are also rewritten a little (at VARY / 3)
SUFFIXES = ("", "_", "1", "_t", "_val", "_arr", "2", "_new")
PREFIXES = ("", "my_", "tmp_", "cur_", "the_")
_ROLE = re.compile(r"\$([A-Za-z_]\w*)")
_CHOICE = re.compile(r"⟨([^⟩]*)⟩")


# --- expanding a template -------------------------------------------------------------------------


def expand(template: str, rng: random.Random, taken: set[str]) -> str:
    """One student's version of a style: names, choices and statement order drawn from rng."""
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("¦")), template.strip("\n"))
    names: dict[str, str] = {}
    for role in dict.fromkeys(_ROLE.findall(text)):
        names[role] = fresh(role, rng, taken)
    text = _ROLE.sub(lambda m: names[m.group(1)], text)
    return _shuffle_groups(text, rng)


def fresh(role: str, rng: random.Random, taken: set[str]) -> str:
    """A name for a variable of the given role, not yet taken."""
    for _ in range(50):
        name = rng.choice(PREFIXES) + role + rng.choice(SUFFIXES)
        if name not in taken and not name[0].isdigit():
            taken.add(name)
            return name
    name = f"{role}_{len(taken)}"
    taken.add(name)
    return name


def _shuffle_groups(text: str, rng: random.Random) -> str:
    """Lines starting with ``~`` (after their indentation) are shuffled with their neighbours."""
    out, group = [], []
    for line in [*text.splitlines(), None]:
        marked = line is not None and line.lstrip().startswith("~")
        indent = len(line) - len(line.lstrip()) if line is not None else -1
        if group and (not marked or indent != group[0][0]):
            rng.shuffle(group)
            out += [g[1] for g in group]
            group = []
        if marked:
            group.append((indent, line.replace("~", "", 1)))
        elif line is not None:
            out.append(line)
    return "\n".join(out)


def cosmetics(body: str, rng: random.Random) -> str:
    """A student's own comments, blank lines and spacing (none of which should count)."""
    out = []
    compact = rng.random() < 0.3
    for line in body.splitlines():
        stripped = line.strip()
        indent = line[: len(line) - len(stripped)]
        if stripped and rng.random() < 0.15:
            out.append(f"{indent}# {rng.choice(COMMENTS)}")
        if compact:
            line = line.replace(" @ ", "@").replace(", ", ",")
        if stripped and not stripped.endswith((",", "(", "[", "{")) and rng.random() < 0.25:
            line += f"  # {rng.choice(COMMENTS)}"
        out.append(line)
        if rng.random() < 0.08:
            out.append("")
    return "\n".join(out)


# --- the small ways independent students differ -------------------------------------------------


class _Vary(ast.NodeTransformer):
    """Rewrites that keep the meaning: operand order of + and *, ``x ** 2`` as ``x * x`` or
    ``np.square(x)``, ``@`` and ``np.matmul``, ``x.sum(...)`` and ``np.sum(x, ...)``, a keyword
    ``axis=`` written positionally, ``x.T`` and ``np.transpose(x)``, ``np.zeros_like(a)`` and
    ``np.zeros(a.shape)``, ``len(x)`` and ``x.shape[0]`` in a range, flipped comparisons, a
    reversed range written out."""

    def __init__(self, rng: random.Random, rate: float):
        self.rng, self.rate = rng, rate

    def _go(self) -> bool:
        return self.rng.random() < self.rate

    def visit_BinOp(self, node):
        self.generic_visit(node)
        literal = (ast.List, ast.Tuple, ast.JoinedStr, ast.Constant)
        plain = not isinstance(node.left, literal) and not isinstance(node.right, literal)
        if isinstance(node.op, ast.Add | ast.Mult) and plain and self._go():
            node.left, node.right = node.right, node.left
        elif isinstance(node.op, ast.Pow) and _is_const(node.right, 2) and self._go():
            if isinstance(node.left, ast.Name | ast.Subscript) and self.rng.random() < 0.5:
                return ast.BinOp(node.left, ast.Mult(), node.left)
            return _np_call("square", [node.left])
        elif isinstance(node.op, ast.MatMult) and self._go():
            return _np_call("matmul", [node.left, node.right])
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("sum", "max", "mean"):
            if _is_np(func.value):
                return node
            if self._go():  # x.sum(...) -> np.sum(x, ...)
                return ast.Call(_np_attr(func.attr), [func.value, *node.args], node.keywords)
        if isinstance(func, ast.Attribute) and _is_np(func.value) and func.attr == "matmul":
            if len(node.args) == 2 and not node.keywords and self._go():
                return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        if isinstance(func, ast.Attribute) and _is_np(func.value) and self._go():
            shape_of = node.args[0] if len(node.args) == 1 and not node.keywords else None
            if func.attr == "zeros_like" and shape_of is not None:  # np.zeros(a.shape)
                return _np_call("zeros", [ast.Attribute(shape_of, "shape")])
        if isinstance(func, ast.Name) and func.id == "range" and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "len" and self._go():
                shape = ast.Attribute(arg.args[0], "shape")  # len(x) is x.shape[0]
                node.args = [ast.Subscript(shape, ast.Constant(0))]
        axis = [k for k in node.keywords if k.arg == "axis"]
        positional = isinstance(func, ast.Attribute) and func.attr in ("sum", "max", "mean")
        if axis and positional and len(node.keywords) == 1 and self._go():
            wanted = 0 if not _is_np(func.value) else 1
            if len(node.args) == wanted:
                node.args, node.keywords = [*node.args, axis[0].value], []
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "T" and isinstance(node.ctx, ast.Load) and self._go():
            return _np_call("transpose", [node.value])  # x.T is np.transpose(x), any ndim
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        flips = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
        if len(node.ops) == 1 and type(node.ops[0]) in flips and self._go():
            op = flips[type(node.ops[0])]()
            return ast.Compare(node.comparators[0], [op], [node.left])
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        it = node.iter
        if (
            isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "reversed"
            and isinstance(it.args[0], ast.Call)
            and getattr(it.args[0].func, "id", "") == "range"
            and len(it.args[0].args) == 1
            and self._go()
        ):
            stop = it.args[0].args[0]
            start = ast.BinOp(stop, ast.Sub(), ast.Constant(1))
            node.iter = ast.Call(ast.Name("range"), [start, ast.Constant(-1), ast.Constant(-1)], [])
        return node


def _is_const(node, value) -> bool:
    return isinstance(node, ast.Constant) and node.value == value


def _is_np(node) -> bool:
    return isinstance(node, ast.Name) and node.id == "np"


def _np_attr(name: str):
    return ast.Attribute(ast.Name("np"), name)


def _np_call(name: str, args):
    return ast.Call(_np_attr(name), list(args), [])


def _hoist(fn, rng: random.Random, rate: float, taken: set[str]) -> None:
    """Move some sub-expressions of assignments and returns into a variable of their own."""
    blocked = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    blocked += (ast.IfExp, ast.BoolOp, ast.Starred)
    for node in list(ast.walk(fn)):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or isinstance(node, ast.Lambda):
            continue
        out = []
        for stmt in body:
            simple = isinstance(stmt, ast.Assign | ast.AugAssign | ast.Return)
            if simple and stmt.value is not None and not isinstance(stmt.value, blocked):
                inner = [
                    n
                    for n in _walk_outside(stmt.value, blocked)
                    if isinstance(n, ast.Call | ast.BinOp) and n is not stmt.value
                ]
                if inner and rng.random() < rate:
                    sub = rng.choice(inner)
                    name = fresh("tmp", rng, taken)
                    out.append(ast.Assign([ast.Name(name, ast.Store())], sub, lineno=0))
                    _replace(stmt, sub, ast.Name(name, ast.Load()))
            out.append(stmt)
        node.body = out


def _walk_outside(node, blocked):
    """The nodes below ``node`` that no blocked node (a comprehension, a lambda...) encloses."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, blocked):
            yield from _walk_outside(child, blocked)


def _replace(root, old, new) -> None:
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                parent_list = [new if v is old else v for v in value]
                if parent_list != value:
                    setattr(parent, field, parent_list)


def _inline(fn, rng: random.Random, rate: float) -> None:
    """Put some single-use variables back into the statement right after them."""
    for node in list(ast.walk(fn)):
        body = getattr(node, "body", None)
        if not isinstance(body, list) or isinstance(node, ast.Lambda):
            continue
        i = 0
        while i + 1 < len(body):
            first, then = body[i], body[i + 1]
            if (
                isinstance(first, ast.Assign)
                and len(first.targets) == 1
                and isinstance(first.targets[0], ast.Name)
                and isinstance(then, ast.Assign | ast.Return | ast.AugAssign)
                and then.value is not None
                and rng.random() < rate
            ):
                name = first.targets[0].id
                uses = [n for n in ast.walk(fn) if isinstance(n, ast.Name) and n.id == name]
                inside = [
                    n for n in ast.walk(then.value) if isinstance(n, ast.Name) and n.id == name
                ]
                if len(uses) == 2 and len(inside) == 1:  # bound here, read once, just below
                    _replace(then, inside[0], first.value)
                    del body[i]
                    continue
            i += 1


def _extra(fn, rng: random.Random) -> None:
    """Sometimes a check or a shape unpacking of the student's own at the top of the body."""
    params = [a.arg for a in fn.args.args]
    doc = isinstance(fn.body[0], ast.Expr) and isinstance(fn.body[0].value, ast.Constant)
    where = 1 if doc else 0
    if params and rng.random() < 0.2:
        p = rng.choice(params)
        text = rng.choice((f"assert {p} is not None", f"assert len(np.shape({p})) >= 0"))
        fn.body.insert(where, ast.parse(text).body[0])


def vary(function: str, rng: random.Random, rate: float) -> str:
    """A function rewritten by the :class:`_Vary` rewrites, some hoisting and inlining (each at
    ``rate``) and now and then an extra check."""
    tree = ast.parse(function)
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    tree = _Vary(rng, rate).visit(tree)
    _inline(tree.body[0], rng, rate / 2)
    _hoist(tree.body[0], rng, rate / 2, taken)
    _extra(tree.body[0], rng)
    return ast.unparse(ast.fix_missing_locations(tree))


# --- disguising a copy ----------------------------------------------------------------------------


def disguise(function: str, rng: random.Random) -> str:
    """A copy made to look different: comments rewritten, locals renamed, statements swapped."""
    text = strip_comments(function) if rng.random() < 0.8 else function
    text = rename_locals(text, rng, fraction=rng.choice((0.7, 1.0)))
    text = swap_statements(text, rng, swaps=rng.choice((1, 2)))
    if rng.random() < RESTRUCTURED:
        text = vary(text, rng, VARY / 3)
    return with_cosmetics(text, rng)


def strip_comments(text: str) -> str:
    """``text`` without its comments (lines holding only a comment disappear)."""
    lines = text.splitlines()
    for tok in reversed(list(tokenize.generate_tokens(io.StringIO(text).readline))):
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col].rstrip()
    return "\n".join(line for line in lines if line.strip() or not line)


def _stored(fn) -> set[str]:
    """Names a function binds (assignments, loop targets, nested functions and their args)."""
    params = {a.arg for a in fn.args.args + fn.args.kwonlyargs}
    found = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.FunctionDef) and node is not fn:
            found.add(node.name)
            found.update(a.arg for a in node.args.args)
    return found - params - {"_"}


def rename_locals(text: str, rng: random.Random, fraction: float) -> str:
    """``text`` (one function) with a fraction of its local names replaced consistently."""
    fn = ast.parse(text).body[0]
    taken = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)} | {"np", "math"}
    stored = sorted(_stored(fn))
    mapping = {
        old: fresh(rng.choice(("v", "w", "r", "q", "s", "z")) + old[:2].lower(), rng, taken)
        for old in stored
        if rng.random() < fraction
    }
    lines = text.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    edits = []
    for i, tok in enumerate(tokens):
        after_dot = i > 0 and tokens[i - 1].string == "."
        keyword = i + 1 < len(tokens) and tokens[i + 1].string == "=" and _in_call(tokens, i)
        if tok.type == tokenize.NAME and tok.string in mapping and not after_dot and not keyword:
            edits.append((tok.start, tok.end, mapping[tok.string]))
    for (row, col), (_, end), new in reversed(edits):
        lines[row - 1] = lines[row - 1][:col] + new + lines[row - 1][end:]
    return "\n".join(lines)


def _in_call(tokens, i: int) -> bool:
    """Whether tokens[i] sits inside brackets (a keyword argument, not an assignment)."""
    depth = 0
    for tok in tokens[:i]:
        if tok.type == tokenize.OP:
            depth += (tok.string in "([{") - (tok.string in ")]}")
    return depth > 0


def _names(node, ctx) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}


def _effects(stmt) -> tuple[set[str], set[str]]:
    """(names written, names read) by an assignment; subscripts write their base."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    written = set()
    for target in targets:
        written |= _names(target, ast.Store) | _names(target, ast.Load)
    read = _names(stmt.value, ast.Load) | {n for t in targets for n in _names(t, ast.Load)}
    if isinstance(stmt, ast.AugAssign):
        read |= written
    return written, read


def _rebinds(stmt) -> bool:
    """Whether ``stmt`` only binds names (``a = ...``, ``a, b = ...``): it changes no array."""
    if not isinstance(stmt, ast.Assign):
        return False
    names = (ast.Name, ast.Tuple)
    return all(isinstance(t, names) for t in stmt.targets) and all(
        isinstance(e, ast.Name) for t in stmt.targets if isinstance(t, ast.Tuple) for e in t.elts
    )


def swap_statements(text: str, rng: random.Random, swaps: int) -> str:
    """``text`` with up to ``swaps`` pairs of adjacent independent assignments swapped."""
    fn = ast.parse(text).body[0]
    pairs = []
    for node in ast.walk(fn):
        for block in (getattr(node, "body", None), getattr(node, "orelse", None)):
            if not isinstance(block, list):
                continue
            for s1, s2 in itertools.pairwise(block):
                if not (_rebinds(s1) and _rebinds(s2)):  # never move a mutation (views alias)
                    continue
                if s1.end_lineno + 1 != s2.lineno:
                    continue
                (w1, r1), (w2, r2) = _effects(s1), _effects(s2)
                if not (w1 & (r2 | w2) or w2 & r1):
                    pairs.append((s1, s2))
    rng.shuffle(pairs)
    chosen, used = [], set()
    for s1, s2 in pairs:
        span = set(range(s1.lineno, s2.end_lineno + 1))
        if len(chosen) < swaps and not span & used:
            chosen.append((s1, s2))
            used |= span
    lines = text.splitlines()
    for s1, s2 in sorted(chosen, key=lambda p: -p[0].lineno):
        a = lines[s1.lineno - 1 : s1.end_lineno]
        b = lines[s2.lineno - 1 : s2.end_lineno]
        lines[s1.lineno - 1 : s2.end_lineno] = b + a
    return "\n".join(lines)


# --- notebooks ------------------------------------------------------------------------------------


@functools.cache
def solution_cells(exercise: str) -> list[dict]:
    return json.loads((SOLUTIONS / f"{exercise}.ipynb").read_text(encoding="utf-8"))["cells"]


def functions_of(source: str) -> list[tuple[str, int, int, int]]:
    """(name, first line, BEGIN line, last line) of each function of a cell with a region."""
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            inside = range(node.lineno, node.end_lineno + 1)
            begin = next((i for i in inside if lines[i - 1].strip() == BEGIN), None)
            if begin is not None:  # the END marker comes after the function's last statement
                end = next(i for i in range(begin, len(lines) + 1) if lines[i - 1].strip() == END)
                found.append((node.name, node.lineno, begin, end))
    return found


@functools.cache
def stub_parts(exercise: str) -> dict[str, tuple[str, str, str]]:
    """Per stubbed function: (the lines before its region, the instructor's body, indent)."""
    parts = {}
    for cell in solution_cells(exercise):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or BEGIN not in source:
            continue
        lines = source.splitlines()
        for name, first, begin, end in functions_of(source):
            indent = lines[begin - 1][: len(lines[begin - 1]) - len(lines[begin - 1].lstrip())]
            body = "\n".join(line[len(indent) :] for line in lines[begin : end - 1])
            parts[name] = ("\n".join(lines[first - 1 : begin - 1]), body, indent)
    return parts


def assemble(head: str, body: str, indent: str) -> str:
    return head + "\n" + "\n".join(indent + line if line else "" for line in body.splitlines())


def write_notebook(path: Path, exercise: str, functions: dict[str, str]) -> None:
    """The instructor notebook with each stubbed function replaced by ``functions[name]`` (or by
    the instructor's own body without markers), outputs cleared."""
    parts = stub_parts(exercise)
    cells = []
    for cell in solution_cells(exercise):
        cell = dict(cell)  # a copy: the cached cells stay as read
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            if BEGIN in source:
                lines = source.splitlines()
                for name, first, _, last in reversed(functions_of(source)):
                    head, body, indent = parts[name]
                    text = functions.get(name) or assemble(head, body, indent)
                    lines[first - 1 : last] = text.splitlines()
                source = "\n".join(lines)
        cell["source"] = source
        cells.append(cell)
    data = json.loads((SOLUTIONS / f"{exercise}.ipynb").read_text(encoding="utf-8"))
    data["cells"] = cells
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def independent(
    task: str, exercise: str, rng: random.Random, rate: float = VARY, template: str | None = None
) -> str:
    """One independent student's function: a style, expanded, varied, with their cosmetics."""
    head, _, indent = stub_parts(exercise)[task]
    params = set(re.findall(r"\b\w+\b", head.splitlines()[0]))
    template = template or rng.choice(STYLES[task])
    body = expand(template, rng, taken=set(params) | {"np", "math"})
    return with_cosmetics(vary(assemble(head, body, indent), rng, rate), rng)


def with_cosmetics(function: str, rng: random.Random) -> str:
    """A function's body (after its signature and docstring) with a student's cosmetics."""
    fn = ast.parse(function).body[0]
    first = fn.body[0]
    doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    split = first.end_lineno if doc else fn.body[0].lineno - 1
    lines = function.splitlines()
    return "\n".join(lines[:split]) + "\n" + cosmetics("\n".join(lines[split:]), rng)


def build_class(root: Path, n: int, rng: random.Random) -> dict[str, dict]:
    """Write n student folders under root; return each one's kind and per-task origin."""
    kinds = ["independent"] * round(0.6 * n) + ["copier"] * round(0.25 * n)
    kinds += ["package"] * (n - len(kinds))
    code: dict[str, dict[str, str]] = {}
    origins: dict[str, dict] = {}
    for i, kind in enumerate(kinds):
        key = f"s{i:03d}"
        code[key], origins[key] = {}, {"kind": kind}
        sources = [k for k in code if origins[k]["kind"] == "independent"]
        source = rng.choice(sources) if kind == "copier" and sources else None
        for task, exercise in TASK_EXERCISE.items():
            if source is not None and rng.random() < 0.8:
                code[key][task] = disguise(code[source][task], rng)
                origins[key][task] = origins[source][task]
            elif kind == "package" and rng.random() < 0.7:
                head, _, indent = stub_parts(exercise)[task]
                code[key][task] = disguise(assemble(head, PACKAGE[task].strip("\n"), indent), rng)
                origins[key][task] = "package"
            else:
                code[key][task] = independent(task, exercise, rng)
                origins[key][task] = f"own:{key}"
        folder = root / key
        folder.mkdir(parents=True)
        for exercise, tasks in EXERCISES.items():
            chosen = {t: code[key][t] for t in tasks}
            write_notebook(folder / f"{exercise}.ipynb", exercise, chosen)
    return origins


# --- checking the styles --------------------------------------------------------------------------


def verify_styles(training: bool = False, per_style: int = 3) -> list[str]:
    """Run the public self-checks on a few expansions of every style, on the package copies and
    on disguised copies; return what failed."""
    from course_rnn.grading import check
    from course_rnn.grading.notebook import read_code_cells

    rng = random.Random(1)
    failures = []
    for task, exercise in TASK_EXERCISE.items():
        if task == "train_char_model" and not training:
            continue
        head, _, indent = stub_parts(exercise)[task]
        bodies = [(f"style {s + 1}", STYLES[task][s]) for s in range(len(STYLES[task]))]
        bodies += [("package", PACKAGE[task])]
        for label, template in bodies:
            for k in range(per_style if label != "package" else 2):
                if label == "package":
                    text = assemble(head, PACKAGE[task].strip("\n"), indent)
                else:  # varied at twice the class's rate, to try more rewrites
                    text = independent(task, exercise, rng, 2 * VARY, template)
                if k == per_style - 1 or label == "package":
                    text = disguise(text, rng)
                with tempfile.TemporaryDirectory() as folder:
                    path = Path(folder) / f"{exercise}.ipynb"
                    write_notebook(path, exercise, {task: text})
                    namespace: dict = {}
                    for cell in read_code_cells(path):
                        if cell.source.lstrip().startswith(("import", "def", "from")):
                            exec(cell.source, namespace)
                result = check(task, namespace[task])
                if not result.passed:
                    failures.append(f"{task} {label}: {result.stage}: {result.message[:200]}")
    return failures
