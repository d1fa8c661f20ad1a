"""The integrity report (``course_rnn/grading/similarity.py``) on a generated class: precision and
recall of pair and package detection, and the seconds it adds to ``course-rnn grade``.

The class (deterministic, ``--seed``; ``similarity_class.py``): ``--students`` submissions of
the three exercises, built from the instructor notebooks with every graded task's body replaced:

- **independent** students (60 %): each task in one of several genuinely different correct
  styles (``similarity_styles.py``: loop structure, expression order, ``np.dot`` / ``@`` /
  ``einsum``, helper variables), every choice point drawn per student, then meaning-keeping
  rewrites (operand order, ``x.sum()`` / ``np.sum(x)``, hoisted or inlined temporaries...), local
  names, comments, blank lines and spacing of their own;
- **copiers** (25 %): take each task (80 %) from one independent student, then rename the local
  variables, swap adjacent independent statements, rewrite the comments and the spacing (and
  30 % of them also a few of the rewrites above);
- **package copiers** (15 %): paste each task (70 %) from the package's own source
  (``similarity_styles.PACKAGE``), then the same disguises.

Ground truth: two answers to a task are a copied pair when they have one origin (a copier and
their source, two copiers of one source); two students are a copier pair when that holds for one
of their tasks, and a pair of package copiers when they share package answers only (these are
reported by the package check; a flagged pair of them counts as right). An answer is a true
package match when it came from the package. ``--verify`` first runs the public self-checks on
expansions of every style, on every package copy and on disguised copies, in this process
(``course_rnn.grading.check``; ``--verify-training`` adds the slow ``train_char_model``).

Usage: python benchmarks/bench_similarity.py [--students 300] [--seed 0] [--verify] [--quick]
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from similarity_class import TASK_EXERCISE, build_class, verify_styles

from course_rnn.grading import fingerprint, handed_out, similarity
from course_rnn.grading.plan import plan_exercise
from course_rnn.grading.submissions import find_students
from course_rnn.grading.tasks import load_exercises

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def all_scores(students, plans, fraction=similarity.COMMON_FRACTION, alone=False):
    """task -> TaskScores over the class (``alone``: each student as a class of one)."""
    found = {}
    for plan in plans:
        codes, _ = similarity.class_codes(students, plan, SOLUTIONS)
        for tp in plan.tasks:
            task = tp.task
            if task.name not in TASK_EXERCISE:
                continue
            package = handed_out.package_code(
                task.name, task.reference.__module__, task.reference.__qualname__
            )
            code = codes[task.name]
            if alone:
                parts = [similarity.task_scores({k: fp}, package) for k, fp in code.items()]
                scores = similarity.TaskScores({}, {}, {})
                for part in parts:
                    scores.package.update(part.package)
            else:
                scores = similarity.task_scores(code, package, fraction)
            found[task.name] = scores
    return found


def truth(origins) -> dict[str, set]:
    """The ground truth: per-task pairs of one non-package origin ("task pairs"), per-task pairs
    of two package copiers ("package task pairs"), student pairs with a task of one non-package
    origin ("copiers"), or of package origin only ("package pairs"), package answers."""
    found = {key: set() for key in ("task pairs", "package task pairs", "package answers")}
    for task in TASK_EXERCISE:
        groups: dict[str, list[str]] = {}
        for key in sorted(origins):
            groups.setdefault(origins[key][task], []).append(key)
            if origins[key][task] == "package":
                found["package answers"].add((task, key))
        for origin, group in groups.items():
            kind = "package task pairs" if origin == "package" else "task pairs"
            found[kind].update((task, a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    found["copiers"] = {(a, b) for _, a, b in found["task pairs"]}
    found["package pairs"] = {(a, b) for _, a, b in found["package task pairs"]} - found["copiers"]
    return found


def rate(flagged: set, true: set, right: set | None = None) -> tuple[float, float, int]:
    """(precision, recall, flagged): a flag is right when in ``right`` (default ``true``)."""
    right = true if right is None else right
    precision = len(flagged & right) / len(flagged) if flagged else 1.0
    return precision, (len(flagged & true) / len(true) if true else 1.0), len(flagged)


def flag_students(scores, threshold=None, minimum=None):
    """Student pairs flagged over all tasks (``similarity.class_matches``'s rule)."""
    threshold = similarity.CLASS_THRESHOLD if threshold is None else threshold
    minimum = similarity.MIN_MATCHED if minimum is None else minimum
    totals, shared = Counter(), {}
    for s in scores.values():
        totals.update(s.totals)
        for pair, (weight, count) in s.shared.items():
            entry = shared.setdefault(pair, [0.0, 0])
            entry[0] += weight
            entry[1] += count
    found = set()
    for (a, b), (weight, count) in shared.items():
        union = totals[a] + totals[b] - weight
        if count >= minimum and union > 0 and weight / union >= threshold:
            found.add((a, b))
    return found


def flag_task_rows(scores, flagged, detail=None):
    """Per-task pair rows (``similarity.task_matches``'s rule)."""
    s = similarity
    detail = s.TASK_THRESHOLD if detail is None else detail
    rows = set()
    for task, sc in scores.items():
        for (a, b), (_, count) in sc.shared.items():
            score = sc.pair_score(a, b)
            if ((a, b) in flagged and count >= s.MIN_TASK and score >= detail) or (
                count >= s.MIN_ALONE and score >= s.ALONE_THRESHOLD
            ):
                rows.add((task, a, b))
    return rows


def flag_package(scores, threshold=None, minimum=None):
    threshold = similarity.PACKAGE_THRESHOLD if threshold is None else threshold
    minimum = similarity.MIN_PACKAGE if minimum is None else minimum
    return {
        (task, key)
        for task, s in scores.items()
        for key, (score, count) in s.package.items()
        if count >= minimum and score >= threshold
    }


def table(title, header, rows):
    print(f"\n{title}")
    for row in [header, *rows]:
        print("  " + "  ".join(f"{c:>9}" if i else f"{c:<28}" for i, c in enumerate(row)))


def f3(x: float) -> str:
    return f"{x:.3f}"


def at_settings(scores, t):
    """(all-task P, R copiers, task-row P, task-row R, package P, package R) at the module's
    settings."""
    students = flag_students(scores)
    right = t["copiers"] | t["package pairs"]
    p1, r1, _ = rate(students, t["copiers"], right)
    p2, r2, _ = rate(
        flag_task_rows(scores, students), t["task pairs"], t["task pairs"] | t["package task pairs"]
    )
    p3, r3, _ = rate(flag_package(scores), t["package answers"])
    return tuple(f3(x) for x in (p1, r1, p2, r2, p3, r3))


SWEEP = ("all P", "all R", "task P", "task R", "pkg P", "pkg R")


def normalisation(students, plans, t):
    rows = []
    default = (fingerprint.K, fingerprint.KEEP_NUMBERS)
    for k in (5, 7, 9):
        for keep in (False, True):
            fingerprint.K, fingerprint.KEEP_NUMBERS = k, keep
            handed_out.package_code.cache_clear()
            label = f"K={k}, numbers {'kept' if keep else 'as N'}"
            rows.append((label, *at_settings(all_scores(students, plans), t)))
    fingerprint.K, fingerprint.KEEP_NUMBERS = default
    handed_out.package_code.cache_clear()
    table("Normalisation, at the module's thresholds:", ("setting", *SWEEP), rows)
    rows = []
    for fraction in (0.05, similarity.COMMON_FRACTION, 0.2, 1.0):
        scores = all_scores(students, plans, fraction)
        rows.append((f"common above {fraction:g}", *at_settings(scores, t)))
    title = "The class filter (fingerprints in more than this share of answers count nothing):"
    table(title, ("setting", *SWEEP), rows)


def thresholds(scores, t):
    right = t["copiers"] | t["package pairs"]
    rows = []
    for minimum in (4, similarity.MIN_MATCHED, 20):
        for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
            flagged = flag_students(scores, threshold, minimum)
            p, r, n = rate(flagged, t["copiers"], right)
            rp = len(flagged & t["package pairs"]) / len(t["package pairs"])
            rows.append((f"{threshold:g}, at least {minimum}", f3(p), f3(r), f3(rp), n))
    title = (
        f"Pairs over all tasks ({len(t['copiers'])} copier pairs, {len(t['package pairs'])} pairs"
        " of package copiers; a flag is right when the two share a copied answer):"
    )
    table(title, ("threshold, shared", "precision", "R copiers", "R package", "flagged"), rows)
    rows = []
    students = flag_students(scores)
    either = t["task pairs"] | t["package task pairs"]
    for detail in (0.3, similarity.TASK_THRESHOLD, 0.7):
        p, r, n = rate(flag_task_rows(scores, students, detail), t["task pairs"], either)
        rows.append((f"{detail:g}", f3(p), f3(r), n))
    title = (
        f"Task rows of the pairs flagged over all tasks, by the task's own threshold "
        f"({len(t['task pairs'])} copied answers; at least {similarity.MIN_TASK} shared; plus "
        f"any pair at {similarity.ALONE_THRESHOLD} with {similarity.MIN_ALONE} shared):"
    )
    table(title, ("task threshold", "precision", "recall", "rows"), rows)
    rows = []
    for minimum in (2, similarity.MIN_PACKAGE, 8):
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            flagged = flag_package(scores, threshold, minimum)
            rows.append((f"{threshold:g}, at least {minimum}", *map(str, rate_f(flagged, t))))
    table(
        f"Package matches ({len(t['package answers'])} package copies):",
        ("threshold, shared", "precision", "recall", "flagged"),
        rows,
    )


def rate_f(flagged, t):
    p, r, n = rate(flagged, t["package answers"])
    return f3(p), f3(r), n


def per_task(scores, t):
    students = flag_students(scores)
    rows_all = flag_task_rows(scores, students)
    either = t["task pairs"] | t["package task pairs"]
    packages = flag_package(scores)
    rows = []
    for task in TASK_EXERCISE:
        tp = {k for k in t["task pairs"] if k[0] == task}
        tk = {k for k in t["package answers"] if k[0] == task}
        p, r, _ = rate({k for k in rows_all if k[0] == task}, tp, either)
        kp, kr, _ = rate({k for k in packages if k[0] == task}, tk)
        rows.append((task, f3(p), f3(r), len(tp), f3(kp), f3(kr), len(tk)))
    table(
        "Per task, at the module's settings:",
        ("task", "pair P", "pair R", "copied", "pkg P", "pkg R", "pasted"),
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verify", action="store_true", help="self-check every style first")
    parser.add_argument("--verify-training", action="store_true", help="train_char_model too")
    parser.add_argument("--quick", action="store_true", help="skip the normalisation sweeps")
    args = parser.parse_args()
    if args.verify or args.verify_training:
        failures = verify_styles(training=args.verify_training)
        print(
            f"self-checks of every style, package copy and disguised copy: {len(failures)} failed"
        )
        for failure in failures:
            print("  " + failure)
    plans = [plan_exercise(e, 0) for e in load_exercises(SOLUTIONS)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "class"
        origins = build_class(root, args.students, random.Random(args.seed))
        students = find_students(root)
        t = truth(origins)
        kinds = Counter(o["kind"] for o in origins.values())
        print(
            f"class: {len(students)} students ({kinds['independent']} independent, "
            f"{kinds['copier']} copiers, {kinds['package']} package copiers), {len(TASK_EXERCISE)} "
            f"tasks; K = {fingerprint.K}, W = {fingerprint.W}, numbers "
            f"{'kept' if fingerprint.KEEP_NUMBERS else 'as N'}; thresholds: all tasks "
            f"{similarity.CLASS_THRESHOLD} (at least {similarity.MIN_MATCHED} shared), package "
            f"{similarity.PACKAGE_THRESHOLD} (at least {similarity.MIN_PACKAGE}); common above "
            f"{similarity.COMMON_FRACTION:g} of the class"
        )
        scores = all_scores(students, plans)
        thresholds(scores, t)
        per_task(scores, t)
        if not args.quick:
            normalisation(students, plans, t)
        alone = all_scores(students, plans, alone=True)
        p, r, _ = rate(flag_package(alone), t["package answers"])
        print(
            f"\nOne submission at a time (Gradescope, no class): package precision {p:.3f}, "
            f"recall {r:.3f}"
        )
        seconds, cpu = [], []
        for _ in range(3):
            handed_out.package_code.cache_clear()
            handed_out._modules.cache_clear()
            start, start_cpu = time.perf_counter(), time.process_time()
            report = similarity.write_similarity(Path(tmp), students, plans, SOLUTIONS)
            seconds.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        rows = Counter(m.kind for m in report.matches)
        print(
            f"\nwrite_similarity, {len(students)} students x 3 notebooks, cold caches: "
            f"{min(seconds):.2f} s wall (best of 3, median {statistics.median(seconds):.2f}), "
            f"{min(cpu):.2f} s CPU = {min(cpu) / len(students) * 1000:.1f} ms CPU per submission; "
            f"rows: {dict(rows)}"
        )


if __name__ == "__main__":
    main()
