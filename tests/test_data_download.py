"""Downloads against a local HTTP server on 127.0.0.1: success, HTTP errors, bad checksums, dropped and
refused connections. Every failure must give one clear DataError and leave no partial file behind."""

from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from coursekit import data
from coursekit.data import formats, sources
from coursekit.data.download import download

IDX_NAMES = list(sources.IDX_FILES.values())
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 50


class LocalServer:
    """Serves ``routes``: path -> bytes (200), an int (that HTTP status) or ("drop", bytes)
    (promise the full length, send half, hang up). Unknown paths get 404."""

    def __init__(self):
        self.routes, self.requests = {}, []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                route = routes.get(self.path, 404)
                if isinstance(route, int):
                    self.send_error(route)
                    return
                drop = isinstance(route, tuple)
                body = route[1] if drop else route
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if drop else body)
                self.close_connection = drop

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


def idx_files(n_train=100, n_test=20, seed=0) -> dict[str, bytes]:
    """The four files of a small MNIST-format set, as bytes."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte.gz": np.arange(n_train) % 10,
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": np.arange(n_test) % 10}
    out = {}
    for name, array in arrays.items():
        array = np.asarray(array, dtype=np.uint8)
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        out[name] = gzip.compress(header + array.tobytes(), mtime=0)
    return out


@pytest.fixture
def fashion(server, monkeypatch):
    """A small Fashion-MNIST whose 'official' source is the local server (with its real md5 sums)."""
    files = idx_files()
    md5 = {name: hashlib.md5(content).hexdigest() for name, content in files.items()}
    small = sources.idx_dataset("fashion_mnist", "fashion-mnist", "test set", f"{server.url}/official/", md5,
                                n_train=100, n_test=20)
    monkeypatch.setitem(sources.REGISTRY, "fashion_mnist", small)
    for name, content in files.items():
        server.routes[f"/official/{name}"] = content
    return files


def leftovers(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- official sources


def test_fetch_from_the_official_source_then_skip(server, fashion, tmp_path, capsys):
    assert data.fetch(["fashion-mnist"], root=tmp_path) == {"fashion_mnist": "downloaded 4 of 4 file(s)"}
    assert leftovers(tmp_path) == sorted(IDX_NAMES)
    assert (tmp_path / "fashion-mnist" / IDX_NAMES[0]).read_bytes() == fashion[IDX_NAMES[0]]
    served = len(server.requests)
    assert data.fetch("fashion_mnist", root=tmp_path) == {"fashion_mnist": "already there"}
    assert len(server.requests) == served
    assert "already there" in capsys.readouterr().out
    assert data.load_fashion_mnist(tmp_path).x_train.shape == (100, 1, 28, 28)


def test_loader_downloads_what_is_missing(server, fashion, tmp_path):
    fashion_data = data.load_fashion_mnist(tmp_path, limit=10)
    assert fashion_data.x_train.shape == (10, 1, 28, 28) and leftovers(tmp_path) == sorted(IDX_NAMES)


@pytest.mark.parametrize("status", [404, 500])
def test_http_error(server, fashion, tmp_path, status):
    server.routes[f"/official/{IDX_NAMES[2]}"] = status
    with pytest.raises(data.DataError) as caught:
        data.load_fashion_mnist(tmp_path)
    message = str(caught.value)
    assert f"fashion-mnist/{IDX_NAMES[2]}" in message and f"{server.url}/official/{IDX_NAMES[2]}" in message
    assert f"HTTP {status}" in message and "COURSEKIT_MIRROR" in message
    assert IDX_NAMES[2] not in leftovers(tmp_path) and not list(tmp_path.rglob("*.part"))


def test_official_checksum_mismatch(server, fashion, tmp_path):
    server.routes[f"/official/{IDX_NAMES[0]}"] = idx_files(seed=1)[IDX_NAMES[0]]  # valid, but not the official file
    with pytest.raises(data.DataError, match=f"{IDX_NAMES[0]}.*md5 checksum is .* but should be"):
        data.fetch(["fashion_mnist"], root=tmp_path)
    assert IDX_NAMES[0] not in leftovers(tmp_path) and not list(tmp_path.rglob("*.part"))


def test_connection_dropped_mid_body(server, tmp_path):
    server.routes["/big.txt"] = ("drop", TEXT.encode())
    dest = tmp_path / "tinyshakespeare" / "input.txt"
    with pytest.raises(data.DataError, match=r"input.txt.*closed after 1,\d+ of the \d,\d+ bytes promised"):
        download(f"{server.url}/big.txt", dest, progress=False)
    assert leftovers(tmp_path) == []


def test_existing_file_survives_a_failed_download(server, tmp_path):
    dest = tmp_path / "tinyshakespeare" / "input.txt"
    dest.parent.mkdir()
    dest.write_text("the good copy")
    for route in (404, ("drop", TEXT.encode())):
        server.routes["/input.txt"] = route
        with pytest.raises(data.DataError):
            download(f"{server.url}/input.txt", dest, checksum="sha256:" + "0" * 64, progress=False)
        assert dest.read_text() == "the good copy" and leftovers(tmp_path) == ["input.txt"]


def test_fetch_replaces_an_invalid_file_only_with_a_verified_one(server, fashion, tmp_path, capsys):
    bad = tmp_path / "fashion-mnist" / IDX_NAMES[1]
    bad.parent.mkdir()
    bad.write_bytes(fashion[IDX_NAMES[1]][:30])  # truncated
    data.fetch(["fashion_mnist"], root=tmp_path)
    assert bad.read_bytes() == fashion[IDX_NAMES[1]]
    assert "is invalid (the gzip data ends early" in capsys.readouterr().out


# --------------------------------------------------------------------------- offline


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_reads_as_offline(tmp_path):
    dest = tmp_path / "mnist" / IDX_NAMES[0]
    with pytest.raises(data.DataError) as caught:
        download(f"http://127.0.0.1:{free_port()}/{IDX_NAMES[0]}", dest, progress=False)
    message = str(caught.value)
    assert "mnist/train-images-idx3-ubyte.gz" in message and "no network" in message
    assert "coursekit fetch" in message and "COURSEKIT_MIRROR" in message and str(dest.parent) in message
    assert "Traceback" not in message and leftovers(tmp_path) == []


def test_missing_file_offline(no_network, tmp_path):
    with pytest.raises(data.DataError, match=r"mnist/train-images-idx3-ubyte.gz from https://ossci-datasets"
                                             r".*cannot be reached.*no network"):
        data.load_mnist(tmp_path)
    assert leftovers(tmp_path) == []


def test_fetch_goes_on_after_a_failure_and_lists_it(no_network, tmp_path, capsys):
    (tmp_path / "tinyshakespeare").mkdir()
    (tmp_path / "tinyshakespeare" / "input.txt").write_text(TEXT)
    with pytest.raises(data.DataError) as caught:
        data.fetch(["mnist", "tiny_shakespeare"], root=tmp_path)
    assert "1 of 2 data set(s)" in str(caught.value) and "- mnist:" in str(caught.value)
    out = capsys.readouterr().out
    assert "mnist" in out and "FAILED" in out and "already there" in out
    assert (tmp_path / "tinyshakespeare" / "input.txt").read_text() == TEXT


def test_data_root_that_cannot_be_written(server, fashion, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(data.DataError, match="Cannot write to .*COURSEKIT_DATA"):
        data.load_fashion_mnist(blocker / "data")


# --------------------------------------------------------------------------- mirror


def serve_mirror(server, files, folder="fashion-mnist"):
    for name, content in files.items():
        server.routes[f"/mirror/{folder}/{name}"] = content


def sums_for(files, folder="fashion-mnist") -> bytes:
    return "".join(f"{hashlib.sha256(c).hexdigest()}  {folder}/{n}\n" for n, c in files.items()).encode()


def test_mirror_with_sha256sums(server, fashion, tmp_path, monkeypatch):
    copies = idx_files(seed=2)  # not the "official" files: the mirror's own SHA256SUMS vouches for them
    serve_mirror(server, copies)
    server.routes["/mirror/SHA256SUMS"] = sums_for(copies)
    monkeypatch.setenv("COURSEKIT_MIRROR", f"{server.url}/mirror/")
    data.fetch(["fashion_mnist"], root=tmp_path)
    assert (tmp_path / "fashion-mnist" / IDX_NAMES[3]).read_bytes() == copies[IDX_NAMES[3]]
    assert not any(path.startswith("/official/") for path in server.requests)


def test_mirror_sha256_mismatch(server, fashion, tmp_path):
    copies = idx_files(seed=2)
    serve_mirror(server, copies)
    server.routes["/mirror/SHA256SUMS"] = sums_for(idx_files(seed=3))
    with pytest.raises(data.DataError) as caught:
        data.load_fashion_mnist(tmp_path, mirror=f"{server.url}/mirror")
    message = str(caught.value)
    assert "sha256 checksum is" in message and f"{server.url}/mirror/fashion-mnist/" in message
    assert "mirror" in message and leftovers(tmp_path) == []


def test_mirror_without_sums_accepts_valid_files(server, fashion, tmp_path):
    serve_mirror(server, idx_files(seed=2))
    fashion_data = data.load_fashion_mnist(tmp_path, mirror=f"{server.url}/mirror")
    assert len(fashion_data.x_test) == 20


def test_mirror_without_sums_rejects_corrupt_files(server, fashion, tmp_path):
    copies = idx_files(seed=2)
    copies[IDX_NAMES[0]] = copies[IDX_NAMES[0]][:-200]  # truncated gzip
    serve_mirror(server, copies)
    with pytest.raises(data.DataError, match=f"{IDX_NAMES[0]}.*not valid: the gzip data ends early"):
        data.fetch(["fashion_mnist"], root=tmp_path, mirror=f"{server.url}/mirror")
    assert IDX_NAMES[0] not in leftovers(tmp_path) and not list(tmp_path.rglob("*.part"))


def test_mirror_that_is_down(tmp_path):
    with pytest.raises(data.DataError, match="Could not download tinyshakespeare/input.txt from the mirror: "
                                             "http://127.0.0.1:.*/SHA256SUMS cannot be reached.*Check that"):
        data.load_tiny_shakespeare(tmp_path, mirror=f"http://127.0.0.1:{free_port()}")


def test_mirror_must_be_a_url():
    with pytest.raises(data.DataError, match="not a URL"):
        data.mirror_url("/srv/course-data")
