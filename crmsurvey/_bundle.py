"""The output folder of a run (OUT) and the bundle of files runs write into it.

- OUT is empty or holds a previous bundle (listed in its manifest); files of the user's
  own in OUT are never touched, and never written over.
- One process at a time writes into OUT: an exclusive lock on the folder itself, held
  while a run or a re-render works; a second one is refused at once.
- Everything is staged in a folder inside OUT (the same filesystem, even when OUT is a
  mount point) and published by a journaled roll-forward: once the staged bundle is
  complete, a journal naming the staging folder, the files to move in and the files to
  remove is written atomically — the commit point. Then the files are moved, stale files
  removed, the manifest written and the journal removed. A publish cut short (a kill, a
  crash) is finished by the next process that opens OUT, before it reads anything; staging
  folders no journal names are removed. OUT so always holds the old bundle or the new one,
  as far as any crmsurvey command sees it.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import stat
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator

from ._io import write_text
from .errors import InputError

__all__ = ["MANIFEST", "JOURNAL", "STAGING", "open_out", "previous", "publish"]

#: The files the last run wrote into OUT.
MANIFEST = ".crmsurvey-manifest.json"
#: The publish under way (present only while, or if, one was cut short).
JOURNAL = ".crmsurvey-journal.json"
#: Prefix of the staging folders in OUT.
STAGING = ".crmsurvey-staging-"
#: Lock file, used only where the folder itself cannot be locked (some network filesystems).
LOCK = ".crmsurvey-lock"
_OWN = ".crmsurvey-"  # every name of ours in OUT besides the bundle's files
_TEMP = "." + _OWN  # atomic writes of the manifest and journal: ".<name>.XXXX.json"


def previous(outdir: Path) -> set[str]:
    """The files the manifest lists (empty when there is none or it is unreadable); a
    name that would lead out of OUT is ignored."""
    try:
        listed = json.loads((Path(outdir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in listed if _safe_rel(p)} if isinstance(listed, list) else set()


def _lock(outdir: Path) -> int:
    """An open descriptor holding an exclusive lock on OUT; InputError when another
    process holds it."""
    fd = -1
    try:
        fd = os.open(outdir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            os.close(fd)  # a filesystem that cannot lock folders: lock a file in OUT
            fd = -1
            fd = os.open(outdir / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise InputError("another run is writing OUT (the output folder); wait for it "
                             "to finish", path=str(outdir)) from None
        raise InputError(f"cannot lock the output folder ({exc.strerror})",
                         path=str(outdir)) from None
    return fd


def _safe_rel(rel: object) -> bool:
    """A path inside OUT as a manifest or journal may name it: relative, no '..'."""
    if not isinstance(rel, str) or not rel or "\0" in rel:
        return False
    p = PurePosixPath(rel)
    return not p.is_absolute() and ".." not in p.parts and str(p) == rel


def _inside(outdir: Path, rel: str) -> bool:
    """Whether every folder on the way from OUT to ``rel`` is a real folder (or absent):
    a move or removal never goes through a link to somewhere else."""
    here = outdir
    for part in PurePosixPath(rel).parts[:-1]:
        here = here / part
        if here.is_symlink() or (here.exists() and not here.is_dir()):
            return False
    return True


def _apply(outdir: Path, journal: dict) -> None:
    """Carry out a committed publish; safe to repeat from any point."""
    staging = outdir / journal["staging"]
    for rel in journal["move"]:
        src, dst = staging / rel, outdir / rel
        if src.is_file() and not src.is_symlink() and _inside(outdir, rel):
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
    root = outdir.resolve()
    for rel in journal["remove"]:
        path = outdir / rel
        if (_inside(outdir, rel) and path.is_file() and not path.is_symlink()
                and root in path.resolve().parents):
            path.unlink()
            if path.parent != outdir and not any(path.parent.iterdir()):
                path.parent.rmdir()
    if journal["manifest"] is not None:
        write_text(outdir / MANIFEST, json.dumps(journal["manifest"], indent=0))
    shutil.rmtree(staging, ignore_errors=True)
    (outdir / JOURNAL).unlink(missing_ok=True)


def _read_journal(outdir: Path) -> dict | None:
    path = outdir / JOURNAL
    if not os.path.lexists(path):
        return None
    try:
        j = json.loads(path.read_text(encoding="utf-8"))
        ok = (isinstance(j, dict) and isinstance(j.get("staging"), str)
              and j["staging"].startswith(STAGING) and "/" not in j["staging"]
              and all(isinstance(j.get(k), list) and all(map(_safe_rel, j[k]))
                      for k in ("move", "remove"))
              and (j.get("manifest") is None or (isinstance(j["manifest"], list)
                                                 and all(map(_safe_rel, j["manifest"])))))
    except (OSError, ValueError):
        ok = False
    if not ok or path.is_symlink():
        raise InputError("the journal of an interrupted run is damaged; the bundle in OUT "
                         "may be incomplete", path=str(path),
                         hint="remove the bundle's files, or use another output folder")
    return j


def _recover(outdir: Path) -> None:
    """Finish a publish cut short; remove staging folders and temporary files of ours
    that no journal names."""
    journal = _read_journal(outdir)
    if journal is not None:
        _apply(outdir, journal)
    for entry in outdir.iterdir():
        name = entry.name
        if name.startswith(STAGING) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(_TEMP) and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)


def _check_bundle(outdir: Path) -> None:
    """OUT must be empty or hold a previous bundle (a manifest)."""
    if (outdir / MANIFEST).is_file():
        return
    others = sorted(p.name for p in outdir.iterdir() if not p.name.startswith(_OWN))
    if others:
        raise InputError(f"the output folder holds files that no run wrote (e.g. "
                         f"{others[0]!r}); they would be mixed with or replaced by the "
                         "run's", path=str(outdir),
                         hint="use an empty folder, or one a previous run wrote")


def _same_folder(fd: int, outdir: Path) -> bool:
    """Whether the locked descriptor (of OUT, or of the lock file in it) is still OUT's."""
    held = os.fstat(fd)
    try:
        now = os.stat(outdir if stat.S_ISDIR(held.st_mode) else outdir / LOCK)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (now.st_dev, now.st_ino)


@contextmanager
def open_out(outdir: str | Path, *, create: bool = False, fresh: bool = False
             ) -> Iterator[Path]:
    """Open OUT for writing, locked for this process until the block ends: created when
    ``create`` (and removed again if the block fails leaving it empty), writable, any
    interrupted publish finished. With ``fresh`` (a run), OUT must also be empty or hold
    a previous bundle. Problems are InputErrors naming OUT."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError("the output folder is a file", path=str(outdir))
    created = create and not outdir.exists()
    if created:
        try:
            outdir.mkdir(parents=True)
        except FileExistsError:
            created = False
        except OSError as exc:
            raise InputError(f"cannot create the output folder ({exc.strerror})",
                             path=str(outdir)) from None
    if not outdir.is_dir():
        raise InputError("the output folder does not exist", path=str(outdir))
    if not os.access(outdir, os.W_OK | os.X_OK):
        raise InputError("the output folder is not writable", path=str(outdir))
    fd = _lock(outdir)
    try:
        if not _same_folder(fd, outdir):  # removed meanwhile by a run that failed
            raise InputError("another run is writing OUT (the output folder); wait for it "
                             "to finish", path=str(outdir))
        try:
            _recover(outdir)
        except PermissionError as exc:
            raise InputError(f"cannot write in the output folder ({exc.strerror})",
                             path=str(outdir)) from None
        if fresh:
            _check_bundle(outdir)
        yield outdir
    except BaseException:
        if created and outdir.is_dir() and not any(outdir.iterdir()):
            outdir.rmdir()
        raise
    finally:
        os.close(fd)


def publish(staging: Path, outdir: Path, *, keep_old: bool = False) -> None:
    """Move the staged bundle into OUT (under :func:`open_out`'s lock). The staged files
    replace the previous bundle as a whole — files it listed and this one does not are
    removed — or, with ``keep_old``, join it (a report in another language). A staged
    file whose name is taken in OUT by something no run wrote is an InputError, before
    anything moves."""
    staging, outdir = Path(staging), Path(outdir)
    new = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*")
                 if p.is_file() and not p.is_symlink())
    old = previous(outdir)
    has_manifest = (outdir / MANIFEST).is_file()
    for rel in new:
        dst = outdir / rel
        # a name in OUT that no manifest lists is the user's (a re-render in a folder
        # without a manifest, from an older version, may write its report as before)
        theirs = os.path.lexists(dst) and rel not in old and (has_manifest or not keep_old)
        if not _inside(outdir, rel) or dst.is_dir() or theirs:
            raise InputError(f"the output folder holds {rel!r}, which no run wrote; it "
                             "would be replaced", path=str(outdir),
                             hint="move it away, or use another output folder")
    for rel in new:  # contents on disk before the commit point
        with open(staging / rel, "rb") as fh:
            os.fsync(fh.fileno())
    if keep_old:  # a folder without a manifest (an older version's) keeps none
        remove, manifest = [], sorted(old | set(new)) if has_manifest else None
    else:
        remove, manifest = sorted(old - set(new)), new
    journal = {"staging": staging.name, "move": new, "remove": remove, "manifest": manifest}
    _write_durably(outdir / JOURNAL, json.dumps(journal, indent=0))  # the commit point
    _apply(outdir, journal)


def _write_durably(path: Path, text: str) -> None:
    """Write ``path`` atomically and flush it (and its folder) to disk."""
    from ._io import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    dirfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dirfd)
    finally:
        os.close(dirfd)
