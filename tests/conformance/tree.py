"""The pinned wandb test tree, obtained at test time (never committed here).

wandb's sdists on PyPI carry no tests (0.31.0's has `wandb/` and `core/` only), so
the tree comes from wandb's git history: the newest release tag whose
`tests/system_tests` exists. The mirror holds tags up to v0.28.2 (0.28.3.dev1
on its main branch), three minor versions behind the SDK Sextant speaks (0.31.0),
and its tests run against the installed wandb 0.31.0.

Where from, in order: SEXTANT_WANDB_GIT (a wandb clone or bare mirror), the
mirror at /work/.mirror/wandb+wandb/repo, else a shallow clone of
https://github.com/wandb/wandb at the tag. The commit is checked against the pin;
the tree is extracted once into .cache/conformance/wandb-<tag>/.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TAG = "v0.28.2"
COMMIT = "dc1ef8bec7642bea1cb89c3f6f8fc64f536def4c"
SDK_VERSION = "0.31.0"
UPSTREAM = "https://github.com/wandb/wandb"
KNOWN_MIRROR = Path("/work/.mirror/wandb+wandb/repo")
# What the system tests need of the repository: their tests, fixtures and assets, the
# tool that connects them to a running backend, and the pytest configuration.
PATHS = [
    "pyproject.toml",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/assets",
    "tests/fixtures",
    "tests/system_tests",
    "tools/local_wandb_server.py",
]


def cache_dir() -> Path:
    return Path(os.environ.get("SEXTANT_CONFORMANCE_CACHE", ROOT / ".cache" / "conformance"))


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _source_git_dir(work: Path) -> Path:
    configured = os.environ.get("SEXTANT_WANDB_GIT")
    if configured:
        return Path(configured)
    if KNOWN_MIRROR.exists():
        return KNOWN_MIRROR
    clone = work / "wandb.git"
    subprocess.run(
        ["git", "clone", "--bare", "--depth", "1", "--branch", TAG, "--filter=blob:none", UPSTREAM, str(clone)],
        check=True,
    )
    return clone


def _extract(git_dir: Path, dest: Path) -> list[str]:
    """Write the pinned commit's files under PATHS into `dest`; the paths whose blobs the mirror lacks."""
    listing = _git("--git-dir", str(git_dir), "ls-tree", "-r", "-z", COMMIT, "--", *PATHS).split("\0")
    entries = []
    for line in filter(None, listing):
        meta, path = line.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((mode, sha, path))
    batch = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    missing = []
    for mode, sha, path in entries:
        batch.stdin.write(f"{sha}\n".encode())
        batch.stdin.flush()
        header = batch.stdout.readline().decode().split()
        if header[-1] == "missing":
            missing.append(path)
            continue
        content = batch.stdout.read(int(header[2]))
        batch.stdout.read(1)  # the newline after each object
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            target.symlink_to(content.decode())
        else:
            target.write_bytes(content)
            if mode == "100755":
                target.chmod(0o755)
    batch.stdin.close()
    batch.wait()
    return missing


def obtain() -> Path:
    """The extracted tree of wandb's tests at the pinned commit (extracted once, then reused)."""
    dest = cache_dir() / f"wandb-{TAG}"
    stamp = dest / ".conformance-commit"
    if stamp.exists() and stamp.read_text().strip() == COMMIT:
        return dest
    with tempfile.TemporaryDirectory(prefix="sextant-wandb-tree-") as tmp:
        work = Path(tmp)
        git_dir = _source_git_dir(work)
        found = _git("--git-dir", str(git_dir), "rev-parse", f"{TAG}^{{commit}}")
        if found != COMMIT:
            raise RuntimeError(f"{git_dir}: tag {TAG} is {found}, the suite is pinned to {COMMIT}.")
        staging = work / "tree"
        missing = _extract(git_dir, staging)
        (staging / ".conformance-missing").write_text("".join(f"{path}\n" for path in missing))
        (staging / ".conformance-commit").write_text(COMMIT + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), dest)
    return dest


if __name__ == "__main__":
    print(obtain())
