"""Signed rows: the journal a killed run resumes from, and the seal that ``--verify`` checks.

Every row is signed with an HMAC-SHA256 of the instructor's secret (``OUT/.grader-secret`` or
``--secret-file``) over its canonical JSON. Rows are appended to ``OUT/rows.jsonl`` as they
finish, so ``coursekit grade ... --resume`` after a crash or a kill grades only what is missing
(a row is reused only if its signature holds and the file's SHA-256 and assignment are the same).
``seal`` signs the finished gradebook: each row, the SHA-256 of ``grades.csv``, ``report.html``
and every executed copy. ``verify(out)`` says what changed since: a row, a file, a submission.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from pathlib import Path

from .submissions import printable, sha256_of as file_sha256

JOURNAL = "rows.jsonl"


def sign(secret: bytes, data: dict) -> str:
    """The HMAC-SHA256 of ``data`` (without its "signature") in canonical JSON."""
    plain = {k: v for k, v in data.items() if k != "signature"}
    text = json.dumps(plain, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def signed(secret: bytes, data: dict) -> bool:
    return isinstance(data, dict) and hmac.compare_digest(str(data.get("signature", "")), sign(secret, data))


class Journal:
    """``OUT/rows.jsonl``: one signed row per line, appended as each notebook is graded."""

    def __init__(self, out: Path, secret: bytes):
        self.path, self.secret, self.lock = out / JOURNAL, secret, threading.Lock()

    def append(self, row: dict) -> None:
        line = json.dumps(dict(row, signature=sign(self.secret, row)), ensure_ascii=True)
        with self.lock, open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()

    def finished(self) -> dict[tuple[str, str, str], dict]:
        """{(file, sha256, assignment): row} of every row with a valid signature (the last one wins)."""
        done = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return done
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:  # the line a kill cut short
                continue
            if signed(self.secret, row):
                done[(row["file"], row["sha256"], row["assignment"])] = row
        return done


def seal(book: dict, out: Path, secret: bytes) -> dict:
    """Sign the gradebook's rows and files in ``book`` (the content of grades.json), in place."""
    for row in book["rows"]:
        if row.get("executed"):
            row["executed_sha256"] = file_sha256(out / row["executed"])
        row["signature"] = sign(secret, row)
    book["files"] = {name: file_sha256(out / name) for name in ("grades.csv", "report.html")}
    book["signature"] = sign(secret, {"rows": [r["signature"] for r in book["rows"]], "files": book["files"],
                                      "changed": book.get("changed"), "settings": book.get("settings")})
    return book


def verify(out: Path, secret: bytes, folder: Path | None = None) -> list[str]:
    """What changed in the gradebook in ``out`` since it was sealed ([] when nothing did)."""
    try:
        book = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"grades.json could not be read ({type(error).__name__})"]
    problems = []
    rows = book.get("rows", [])
    # Rows name files as printable text (a name that is not UTF-8 is escaped): find each file by that text.
    files = {printable(p.relative_to(folder).as_posix()): p for p in folder.rglob("*")} if folder else {}
    whole = {"rows": [r.get("signature") for r in rows], "files": book.get("files"),
             "changed": book.get("changed"), "settings": book.get("settings"), "signature": book.get("signature")}
    if not signed(secret, whole):
        problems.append("the gradebook's signature does not match (rows added, removed, reordered or edited, "
                        "or another secret)")
    for row in rows:
        who = f"{row.get('student')!r} ({row.get('file')})"
        if not signed(secret, row):
            problems.append(f"the row of {who} was changed after grading")
        if row.get("executed") and file_sha256(out / row["executed"]) != row.get("executed_sha256"):
            problems.append(f"the executed copy of {who} was changed after grading")
        if folder is not None:
            now = file_sha256(files.get(row.get("file"), folder / str(row.get("file"))))
            if now != row.get("sha256"):
                problems.append(f"the submission {row.get('file')} is not the file that was graded "
                                f"(its SHA-256 is now {now[:16]}..., graded {str(row.get('sha256'))[:16]}...)")
    for name, digest in (book.get("files") or {}).items():
        if file_sha256(out / name) != digest:
            problems.append(f"{name} was changed after grading")
    return problems
