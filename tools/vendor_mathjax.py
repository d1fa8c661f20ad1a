"""Copy the pinned MathJax 3 (from the django-static-mathjax wheel) into _extra/ for offline math.

Sphinx serves ``_extra/`` at the root of the built site (``html_extra_path``), and ``_config.yml``
points ``mathjax_path`` at ``mathjax/tex-mml-chtml.js``: the book typesets maths with no network.
Only the parts a CHTML page loads are copied (the combined script, its input/output components, the
fonts, the menu and accessibility extensions), about 10 MB instead of 43 MB.

Usage: python tools/vendor_mathjax.py DEST
"""

import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

PARTS = ["tex-mml-chtml.js", "input", "output/chtml", "ui", "a11y", "sre", "adaptors"]


def main(dest: str) -> int:
    spec = find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "vendor_mathjax: the 'django-static-mathjax' wheel is not installed; run 'make setup'"
        )
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").is_file():
        sys.exit(f"vendor_mathjax: {es5 / 'tex-mml-chtml.js'} is missing; reinstall the book extra")
    target = Path(dest)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for part in PARTS:
        src, out = es5 / part, staging / part
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, out)
        else:
            shutil.copy2(src, out)
    # Swap in one step, so an interrupted copy never leaves a half-filled _extra/mathjax behind.
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
