"""Make sure headless Chromium is available for the browser test, installing it when we can.

Installs Debian's ``chromium`` with apt when running as root; otherwise prints what to install
and exits non-zero, so CI never silently skips the browser test.
"""

import os
import shutil
import subprocess
import sys

CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def find_chromium() -> str | None:
    """Path of the first Chromium-like browser on PATH, or the one named by $CHROMIUM."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


def main() -> int:
    if find_chromium():
        return 0
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing Debian's chromium for the browser test (apt-get) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
        if find_chromium():
            return 0
    print(
        "The browser test needs Chromium and none was found.\n"
        "  Debian/Ubuntu: sudo apt-get install chromium\n"
        "  elsewhere:     install Chromium or Chrome and set CHROMIUM=/path/to/it",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
