"""Make data sets ready in the data root: find each file, download what is missing, report what is there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .checksums import parse_sums
from .download import download, read_url
from .errors import DataError
from .formats import BadFile
from .paths import data_root, mirror_url
from .sources import DATASETS, REGISTRY, Dataset, RemoteFile, get_dataset


def read_file(dataset: Dataset, file: RemoteFile, path: Path) -> Any:
    """Parse one raw file with its reader; a bad file becomes a DataError saying to delete and re-fetch it."""
    try:
        return file.read(path)
    except BadFile as problem:
        raise DataError(f"{path} is not a valid {dataset.name} file: {problem}. "
                        f"Delete it and load again to download a fresh copy (or run "
                        f"`coursekit fetch {dataset.name}`), or copy a good copy into {path.parent}/.") from None
    except OSError as error:
        raise DataError(f"{path} cannot be read ({error.strerror or error}).") from None


def mirror_sums(mirror: str) -> dict[str, str]:
    """The mirror's published ``SHA256SUMS`` as {"folder/file": "hex"}; empty when it publishes none."""
    content = read_url(f"{mirror}/SHA256SUMS")
    return parse_sums(content.decode("utf-8", errors="replace")) if content else {}


def download_file(dataset: Dataset, file: RemoteFile, root: Path, mirror: str | None = None,
                  progress: bool = True) -> Path:
    """Download one file into ``<root>/<folder>/``: from the mirror when one is set, else from the official URL."""
    dest = root / dataset.folder / file.name
    mirror = mirror_url(mirror)
    if mirror is None:
        return download(file.url, dest, checksum=file.checksum, read=file.read, progress=progress)
    # A mirror may hold copies that differ from the official files: trust its own SHA256SUMS when it
    # publishes one, and otherwise accept any file that passes the structural checks.
    key = f"{dataset.folder}/{file.name}"
    advice = (f"Check that the mirror at {mirror} is running and holds {key}, or unset COURSEKIT_MIRROR to "
              f"download from the official source, or copy the files into {dest.parent}/.")
    try:
        sums = mirror_sums(mirror)
    except DataError as reason:
        raise DataError(f"Could not download {key} from the mirror: {reason}. {advice}") from None
    return download(f"{mirror}/{key}", dest, checksum=f"sha256:{sums[key]}" if key in sums else None,
                    read=file.read, advice=advice, progress=progress)


def ensure(dataset: Dataset | str, files: Iterable[str] | None = None, root=None, mirror=None) -> dict[str, Path]:
    """Paths of a data set's files (all, or the ones named), downloading those not yet in the data root.

    Files already there are not checked here: the loaders read them with the
    same readers, which reject a truncated or corrupt file with a clear message.
    """
    dataset = get_dataset(dataset) if isinstance(dataset, str) else dataset
    root = data_root(root)
    paths = {}
    for file in [dataset.file(name) for name in files] if files else dataset.files:
        path = root / dataset.folder / file.name
        if not path.exists():
            download_file(dataset, file, root, mirror)
        paths[file.name] = path
    return paths


def problem_with(file: RemoteFile, path: Path) -> str | None:
    """What is wrong with a raw file that exists (None when it reads fine)."""
    try:
        file.read(path)
    except (BadFile, OSError) as problem:
        return str(problem)
    return None


def _fetch_one(dataset: Dataset, root: Path, mirror: str | None) -> str:
    """Download whatever of one data set is missing or invalid; returns what happened."""
    fetched = 0
    for file in dataset.files:
        path = root / dataset.folder / file.name
        if path.exists():
            problem = problem_with(file, path)
            if problem is None:
                continue
            print(f"  {path} is invalid ({problem}): downloading a fresh copy to replace it")
        download_file(dataset, file, root, mirror)  # an invalid file is replaced only by a verified one
        fetched += 1
    if not fetched:
        return "already there"
    return f"downloaded {fetched} of {len(dataset.files)} file(s)"


def fetch(names: Iterable[str] | None = None, root=None, mirror=None) -> dict[str, str]:
    """Make data sets ready in the data root ahead of time (all by default); prints one line per data set.

    Files already present and valid are kept. Raises a DataError listing every
    data set that failed, after trying them all. Returns {name: what happened}.
    """
    root, mirror = data_root(root), mirror_url(mirror)
    if isinstance(names, str):
        names = [names]
    datasets = {}  # by name, so that "cifar10" and "cifar-10" count once
    for name in names or DATASETS:
        dataset = get_dataset(name)
        datasets[dataset.name] = dataset
    print(f"Data root: {root}" + (f"  (mirror: {mirror})" if mirror else ""))
    outcomes, failures = {}, []
    for dataset in datasets.values():
        try:
            outcomes[dataset.name] = _fetch_one(dataset, root, mirror)
        except DataError as error:
            outcomes[dataset.name] = "FAILED"
            failures.append(f"- {dataset.name}: {error}")
        print(f"  {dataset.name:<17} {outcomes[dataset.name]}", flush=True)
    if failures:
        raise DataError(f"{len(failures)} of {len(datasets)} data set(s) could not be fetched into {root}:\n"
                        + "\n".join(failures))
    return outcomes


# --------------------------------------------------------------------------- status


@dataclass
class DatasetStatus:
    """Whether one data set is ``ready``, ``missing`` (some files absent) or ``invalid``, and why."""

    name: str
    folder: str
    state: str
    detail: str


@dataclass(repr=False)
class DataStatus:
    """The state of every data set in a data root; prints as a table."""

    root: Path
    datasets: list[DatasetStatus]

    def __getitem__(self, name: str) -> DatasetStatus:
        return next(d for d in self.datasets if d.name == get_dataset(name).name)

    @property
    def all_ready(self) -> bool:
        return all(d.state == "ready" for d in self.datasets)

    def __str__(self) -> str:
        lines = [f"Data root: {self.root}", ""]
        lines.append(f"  {'data set':<17} {'folder':<16} {'state':<8} detail")
        for d in self.datasets:
            lines.append(f"  {d.name:<17} {d.folder + '/':<16} {d.state:<8} {d.detail}")
        if not self.all_ready:
            lines.append("\nRun `coursekit fetch` (or coursekit.data.fetch()) to download what is missing or invalid.")
        return "\n".join(lines)

    __repr__ = __str__


def _dataset_status(dataset: Dataset, root: Path) -> DatasetStatus:
    folder = root / dataset.folder
    missing = [f.name for f in dataset.files if not (folder / f.name).exists()]
    for file in dataset.files:
        problem = None if file.name in missing else problem_with(file, folder / file.name)
        if problem:
            return DatasetStatus(dataset.name, dataset.folder, "invalid", f"{file.name}: {problem}")
    if missing:
        detail = f"{len(missing)} of {len(dataset.files)} file(s) missing: {', '.join(missing)}"
        return DatasetStatus(dataset.name, dataset.folder, "missing", detail)
    return DatasetStatus(dataset.name, dataset.folder, "ready", f"{len(dataset.files)} file(s) checked")


def status(root=None) -> DataStatus:
    """Check every data set in the data root (this reads each file fully, so it takes a few seconds)."""
    root = data_root(root)
    return DataStatus(root, [_dataset_status(dataset, root) for dataset in REGISTRY.values()])
