"""Make sure the system programs `make test` needs are present, installing them when we can.

- Chromium (Debian package ``chromium``): the browser test opens the built book in it.
- bubblewrap (Debian package ``bubblewrap``, command ``bwrap``): the grader confines student code
  with it and, by default, refuses to grade without a working one; the grader's tests need it.
- Node.js and npm (Debian package ``npm``, which pulls in ``nodejs``): ``make browser`` installs
  axe-core, the accessibility audit of the browser test, with ``npm ci`` (package-lock.json).

As root with apt, missing packages are installed; otherwise this prints what to install and exits
non-zero, so CI never silently skips a check.
"""

import os
import shutil
import subprocess
import sys

CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]


def find_chromium() -> str | None:
    """Path of the first Chromium-like browser on PATH, or the one named by $CHROMIUM."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def find_bubblewrap() -> str | None:
    """Path of a bwrap that can create the namespaces the grader uses, or None."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None
    probe = [bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
    if os.geteuid() != 0:
        probe.append("--unshare-user")
    done = subprocess.run([*probe, "true"], capture_output=True, check=False)
    if done.returncode != 0:
        print(f"bwrap is installed but fails: {done.stderr.decode().strip()}", file=sys.stderr)
        return None
    return bwrap


def find_npm() -> str | None:
    """Path of npm when Node.js is there too, or None."""
    return shutil.which("npm") if shutil.which("node") or shutil.which("nodejs") else None


# Debian package -> (how to find it, what to tell a user who has no apt)
NEEDS = {
    "chromium": (find_chromium, "Chromium or Chrome (or set CHROMIUM=/path/to/it)"),
    "bubblewrap": (
        find_bubblewrap,
        "a working bubblewrap (the 'bwrap' command; a normal user also needs unprivileged user "
        "namespaces: sudo sysctl -w kernel.unprivileged_userns_clone=1)",
    ),
    "npm": (find_npm, "Node.js and npm (to install axe-core for the accessibility audit)"),
}


def apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    print(f"Installing {' '.join(packages)} with apt-get ...", flush=True)
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)


def main() -> int:
    missing = [pkg for pkg, (found, _) in NEEDS.items() if not found()]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        apt_install(missing)
        missing = [pkg for pkg in missing if not NEEDS[pkg][0]()]
    for pkg in missing:
        print(
            f"make test needs {NEEDS[pkg][1]} and it is missing.\n"
            f"  Debian/Ubuntu: sudo apt-get install {pkg}",
            file=sys.stderr,
        )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
