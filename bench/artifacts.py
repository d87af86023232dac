"""Benchmark: artifact upload and download throughput against raw storage, and deduplication.

    .venv/bin/python bench/artifacts.py [--size-mb 1024] [--rounds 3] [--no-sdk]

(or `make bench-artifacts`). It starts gunicorn (1 worker, 4 threads) on a free
loopback port over a throw-away SQLite database and files folder, and measures,
interleaved round by round so all see the same conditions:

  raw write     default_storage.save() of a 1 GB file (the same storage the server writes to)
  upload        PUT of the same bytes to a signed artifact upload URL (what the SDK does; the server
                checks the md5 and stores the blob), from a lean client writing 4 MiB at a time
  raw read      default_storage.open() of the stored file, read through
  download      GET /artifacts/<team>/<md5> with an API key (what the SDK does), read through
  loopback      the stored file sendfile'd over a bare loopback socket, read the same way: the
                ceiling any download over this machine's network stack has

and prints medians and the upload/raw-write and download/raw-read ratios. Then,
with the real wandb SDK, it logs a 100-file artifact (1 MiB each) and a second
version with one file changed, and prints the PUTs made and bytes stored; and
one end-to-end `run.log_artifact()` of the 1 GB file. Not a test: figures only.
"""

import argparse
import base64
import hashlib
import http.client
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
BLOCK = 16 << 20
CLIENT_BLOCK = 4 << 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_file(path: Path, size: int, seed: bytes) -> str:
    """`size` bytes (a random block repeated, its first bytes the seed); the base64 md5."""
    block = bytearray(os.urandom(BLOCK))
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            chunk = bytes(block[: min(BLOCK, size - written)])
            if written == 0:
                chunk = seed + chunk[len(seed) :]
            handle.write(chunk)
            md5.update(chunk)
            written += len(chunk)
    return base64.b64encode(md5.digest()).decode()


def loopback(path: str, size: int) -> None:
    """The transport's own ceiling: the stored file sendfile'd over a bare loopback socket, read
    by the same client loop as a download (no HTTP, no server code)."""
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def send():
            conn, _ = server.accept()
            with conn, open(path, "rb") as handle:
                sent = 0
                while sent < size:
                    sent += os.sendfile(conn.fileno(), handle.fileno(), sent, size - sent)

        sender = threading.Thread(target=send)
        sender.start()
        with socket.create_connection(server.getsockname()) as client:
            buffer, got = memoryview(bytearray(CLIENT_BLOCK)), 0
            while read := client.recv_into(buffer):
                got += read
        sender.join()
    assert got == size


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK figures")
    args = parser.parse_args()
    size = args.size_mb << 20
    work = Path(tempfile.mkdtemp(prefix="sextant-bench-artifacts-", dir=os.environ.get("BENCH_TMP")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SEXTANT_DATA_DIR=str(work / "data"),
        SEXTANT_FILES_DIR=str(work / "files"),
        SECRET_KEY="bench-artifacts-" + secrets.token_hex(24),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    os.environ.update(env)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    from accounts import keys
    from accounts.models import ApiKey, User
    from runs.artifacts import services
    from runs.artifacts.models import ArtifactBlob
    from runs.ingest.runs import project_get_or_create
    from teams import services as team_services

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench", email="bench@example.com", password=secrets.token_hex(8))
    team = team_services.team_create(name="benchteam", owner=user)
    key = keys.generate_key("personal")
    ApiKey.objects.create(user=user, name="bench", key_hash=keys.hash_key(key), hint=keys.display_hint(key))
    project = project_get_or_create(team=team, name="bench")

    port = free_port()
    log = open(work / "server.log", "w")
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi",
            "-c",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        figures = {"raw write": [], "upload": [], "raw read": [], "download": [], "loopback": []}
        auth = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
        source = work / "big.bin"

        class FakeRequest:
            @staticmethod
            def build_absolute_uri(path):
                return base + path

        from runs.artifacts.signed import blob_upload_url

        class BigChunks(File):
            DEFAULT_CHUNK_SIZE = 4 << 20  # the raw baseline writes in large blocks, like the upload path

        for round_ in range(args.rounds):
            digest = make_file(source, size, seed=f"round {round_} ".encode())
            hexhash = base64.b64decode(digest).hex()

            raw_name = f"bench/raw-{round_}"

            def raw_write(name=raw_name):
                with open(source, "rb") as handle:
                    default_storage.save(name, BigChunks(handle, name="raw"))

            def raw_read(name):
                with default_storage.open(name, "rb") as handle:
                    while handle.read(1 << 20):
                        pass

            figures["raw write"].append(timed(raw_write))
            figures["raw read"].append(timed(lambda name=raw_name: raw_read(name)))
            default_storage.delete(raw_name)
            artifact, _ = services.artifact_create(
                project=project, run=None, type_name="model", collection_name="big", digest=digest
            )
            services.claim(artifact=artifact, digests=[digest])
            url = blob_upload_url(FakeRequest, team.pk, digest)

            def upload(url=url):
                # A lean client (4 MiB writes, like wandb-core's), so the figure is the server's.
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600, blocksize=CLIENT_BLOCK)
                with open(source, "rb") as handle:
                    conn.request("PUT", url[len(base) :], body=handle, headers={"Content-Length": str(size)})
                    response = conn.getresponse()
                    body = response.read()
                conn.close()
                assert response.status == 200, body

            def download(hexhash=hexhash):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
                conn.request("GET", f"/artifacts/{team.name}/{hexhash}", headers={"Authorization": auth})
                response = conn.getresponse()
                assert response.status == 200, response.read()
                buffer, got = memoryview(bytearray(CLIENT_BLOCK)), 0
                while read := response.readinto(buffer):
                    got += read
                conn.close()
                assert got == size

            figures["upload"].append(timed(upload))
            figures["download"].append(timed(download))
            blob = ArtifactBlob.objects.get(team=team, digest=digest)
            stored = default_storage.path(blob.storage_name)
            figures["loopback"].append(timed(lambda path=stored: loopback(path, size)))
            default_storage.delete(blob.storage_name)
            blob.delete()
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{name} {size / (1 << 20) / values[-1]:.0f} MiB/s" for name, values in figures.items()),
                flush=True,
            )
        mib = size / (1 << 20)
        med = {name: mib / statistics.median(values) for name, values in figures.items()}
        print(f"\n{args.size_mb} MiB, {args.rounds} rounds, median throughput (MiB/s):")
        for name, value in med.items():
            print(f"  {name:<10} {value:8.0f}")
        print(f"  upload / raw write   {med['upload'] / med['raw write']:.0%}")
        print(f"  download / raw read  {med['download'] / med['raw read']:.0%}")
        print(
            f"  download / loopback  {med['download'] / med['loopback']:.0%}  (the same bytes sendfile'd over a bare socket)"
        )
        if not args.no_sdk:
            sdk_figures(base, key, team, work, source, size)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


LOG = textwrap.dedent(
    """
    import os, sys, time, wandb
    run = wandb.init(entity="benchteam", project="bench")
    art = wandb.Artifact(os.environ["NAME"], type="dataset")
    art.add_dir(os.environ["SRC"]) if os.path.isdir(os.environ["SRC"]) else art.add_file(os.environ["SRC"])
    start = time.perf_counter()
    run.log_artifact(art).wait()
    print(f"ELAPSED {time.perf_counter() - start:.3f}")
    run.finish()
    """
)


def sdk(base, key, work, **extra) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "SEXTANT", "SECRET"))}
    home = work / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home), WANDB_DIR=str(home), WANDB_BASE_URL=base, WANDB_API_KEY=key, WANDB_SILENT="true", **extra
    )
    script = work / "log.py"
    script.write_text(LOG)
    result = subprocess.run([PYTHON, str(script)], env=env, cwd=home, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    return float(result.stdout.split("ELAPSED ")[1].split()[0])


def sdk_figures(base, key, team, work, source, size) -> None:
    from runs.artifacts.models import ArtifactBlob

    def stored() -> int:
        return sum(ArtifactBlob.objects.filter(team=team).values_list("size", flat=True))

    def puts(since: int) -> int:
        return (work / "server.log").read_text()[since:].count('"PUT /artifacts-upload/blob/')

    src = work / "hundred"
    src.mkdir()
    for i in range(100):
        (src / f"f{i:03}.bin").write_bytes(os.urandom(1 << 20))
    before, mark = stored(), len((work / "server.log").read_text())
    sdk(base, key, work, NAME="hundred", SRC=str(src))
    first_puts, first_bytes = puts(mark), stored() - before
    (src / "f042.bin").write_bytes(os.urandom(1 << 20))
    before, mark = stored(), len((work / "server.log").read_text())
    sdk(base, key, work, NAME="hundred", SRC=str(src))
    second_puts, second_bytes = puts(mark), stored() - before
    print("\n100 files of 1 MiB, then one changed (real wandb SDK):")
    print(f"  v0: {first_puts} PUTs, {first_bytes / (1 << 20):.1f} MiB stored")
    print(f"  v1: {second_puts} PUT(s), {second_bytes / (1 << 20):.1f} MiB stored (200.0 MiB without deduplication)")
    elapsed = sdk(base, key, work, NAME="big-sdk", SRC=str(source), WANDB_CACHE_DIR=str(work / "cache"))
    print(f"\nrun.log_artifact() of the {size >> 20} MiB file, end to end (client md5, cache copy, upload, commit):")
    print(f"  {size / (1 << 20) / elapsed:.0f} MiB/s ({elapsed:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
