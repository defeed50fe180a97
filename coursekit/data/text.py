"""Character-level text (Tiny Shakespeare) with its vocabulary, for char-RNNs."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .cache import cached
from .prepare import ensure, read_file
from .sources import get_dataset


@dataclass(repr=False)
class CharCorpus:
    """A text and its characters: ``vocab`` is the sorted list of distinct characters,
    ``ids`` the whole text as int64 [len(text)] indices into ``vocab``."""

    text: str
    vocab: list[str]
    ids: torch.Tensor
    index: dict[str, int] = field(init=False)  # character -> id

    def __post_init__(self):
        self.index = {char: i for i, char in enumerate(self.vocab)}

    @classmethod
    def from_text(cls, text: str) -> CharCorpus:
        """Build the vocabulary and ids of any text (try your own!)."""
        corpus = cls(text, sorted(set(text)), torch.empty(0, dtype=torch.int64))
        corpus.ids = corpus.encode(text)
        return corpus

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> torch.Tensor:
        """A string -> int64 tensor of character ids; characters not in the vocabulary raise ValueError."""
        unknown = set(text) - self.index.keys()
        if unknown:
            raise ValueError(f"These characters are not in the vocabulary: {sorted(unknown)}")
        return torch.tensor([self.index[char] for char in text], dtype=torch.int64)

    def decode(self, ids) -> str:
        """A sequence of ids (tensor or list) -> the string they stand for."""
        return "".join(self.vocab[int(i)] for i in ids)

    def split(self, train_fraction: float = 0.9) -> tuple[torch.Tensor, torch.Tensor]:
        """The ids cut in two, in order: the first part for training, the rest for validation."""
        cut = int(len(self.ids) * train_fraction)
        return self.ids[:cut], self.ids[cut:]

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"CharCorpus({len(self.text):,} characters, vocabulary of {self.vocab_size}: {''.join(self.vocab)!r})"


def load_tiny_shakespeare(root=None, *, mirror: str | None = None) -> CharCorpus:
    """Tiny Shakespeare (1,115,394 characters) as a CharCorpus; ids are cached after the first load."""
    dataset = get_dataset("tiny_shakespeare")
    file = dataset.files[0]
    path = ensure(dataset, root=root, mirror=mirror)[file.name]

    def parse() -> dict:
        corpus = CharCorpus.from_text(read_file(dataset, file, path))
        ids_dtype = np.uint8 if corpus.vocab_size <= 256 else np.int32
        return {"utf8": np.frombuffer(corpus.text.encode("utf-8"), dtype=np.uint8),
                "ids": corpus.ids.numpy().astype(ids_dtype), "vocab": corpus.vocab}

    content = cached(dataset.name, [path], parse)
    text = content["utf8"].tobytes().decode("utf-8")
    return CharCorpus(text, content["vocab"], torch.from_numpy(content["ids"].astype(np.int64)))
