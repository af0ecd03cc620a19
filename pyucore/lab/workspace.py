"""Student workspaces: `pyucore lab init DIR` writes the whole kernel with its blanks emptied, a lab
README, a report to fill and the marker file that makes DIR a workspace (with its settings)."""

import pathlib

from . import SETTINGS, LabError

# the blanks' markers (.markers) and the README texts (.readme) are imported by the functions that
# write or check a workspace: finding and reading one, which every run does, needs neither (nor
# their imports, dataclasses and ast: about 15 ms)
USER_DIR = pathlib.Path(__file__).resolve().parent.parent / "user"
MARKER = ".pyucore-lab"
REPORT = "report.md"
LABS = (5, 6)   # lab 5: the blanks of labs 1 to 5; lab 6: lab6's (the earlier labs' code is given)
_SWITCHES = {"on": True, "off": False}


def pyucore_version():
    """The installed pyucore's version, or "unknown" (a checkout that was never installed)."""
    from importlib import metadata   # slow to import (tens of ms): only `lab init` and --version need it
    try:
        return metadata.version("pyucore")
    except metadata.PackageNotFoundError:
        return "unknown"


def lab_blanks(blanks, lab):
    """The blanks a workspace of lab (5 or 6) has: labs 1 to 5's for lab 5, lab 6's for lab 6 (whose
    workspace comes with the earlier labs' code filled, as if carried over)."""
    return [b for b in blanks if (b.lab == 6 if lab == 6 else b.lab <= lab)]


def init_workspace(directory, solution=False, empty=None, lab=5):
    """Writes a lab workspace of lab (5 or 6) in directory (created; it must not exist or be empty):
    every file of pyucore's kern/, each of the lab's blanks (lab_blanks) with its reference code
    replaced by its hint and a NotImplementedError (all kept with solution=True; with empty, an
    iterable of the lab's blank ids, exactly those are emptied), the C sources of the user programs
    and library to read, a README, a report to fill, the marker file and a .gitignore for Python's
    caches. Returns the workspace's path. Raises LabError for
    a directory that holds anything, a path that is a file, or an unknown blank id. Copy-on-write is
    on in the workspace's settings only when its challenge blanks are filled."""
    root = pathlib.Path(directory).expanduser()
    if root.exists() and not root.is_dir():
        raise LabError("%s exists and is not a directory" % directory)
    if root.is_dir() and any(root.iterdir()):
        raise LabError("%s is not empty: pyucore lab init never writes over a workspace (give a new "
                       "directory)" % directory)
    from .markers import KERN_DIR, kernel_files, list_blanks
    from .readme import lab6_readme, lab6_report_template, lab_readme, report_template
    blanks = lab_blanks(list_blanks(), lab)
    if empty is not None:
        emptied = set(empty)
        unknown = emptied - {b.id for b in blanks}
        if unknown:
            raise LabError("unknown blank %s (the blanks are: %s)" % (
                ", ".join(sorted(map(repr, unknown))), ", ".join(b.id for b in blanks)))
    else:
        emptied = set() if solution else {b.id for b in blanks}
    cow = not any(b.label.endswith(":CHALLENGE") and b.id in emptied for b in blanks)
    root.mkdir(parents=True, exist_ok=True)
    for path, rel in kernel_files(KERN_DIR):
        mine = [b for b in blanks if b.file == rel and b.id in emptied]
        target = root / "kern" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(empty_blanks(path.read_text(encoding="utf-8"), mine), encoding="utf-8")
    for part in ("libs", "programs"):
        for path in sorted((USER_DIR / part).iterdir()):
            if path.suffix in (".c", ".h"):
                target = root / "user" / part / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    readme, report = (lab6_readme, lab6_report_template) if lab == 6 else (lab_readme, report_template)
    (root / "README.md").write_text(readme(blanks), encoding="utf-8")
    (root / REPORT).write_text(report(blanks), encoding="utf-8")
    (root / MARKER).write_text(marker_text({"cow": cow, "lab": lab}), encoding="utf-8")
    (root / ".gitignore").write_text("__pycache__/\n", encoding="utf-8")
    return root


def empty_blanks(source, blanks):
    """source with the reference code of each of blanks (all in this file) replaced by its hint and
    failing line; the markers stay, so the student sees where the blank begins and ends."""
    lines = source.splitlines(keepends=True)
    for blank in sorted(blanks, key=lambda b: b.begin, reverse=True):
        lines[blank.begin:blank.end - 1] = [line + "\n" for line in blank.empty_lines()]
    return "".join(lines)


def marker_text(settings=None):
    """The marker file: what it is, the pyucore version that wrote it, and the workspace's settings."""
    settings = dict(SETTINGS, **(settings or {}))
    return (
        "# This directory is a pyucore lab workspace (written by `pyucore lab init`): `pyucore run` and\n"
        "# `pyucore grade` run inside it (or below it) use the kernel in its kern/.\n"
        "pyucore = %s\n"
        "# The challenge, copy-on-write fork: set `cow = on` once you have written its two blanks\n"
        "# (LAB5:CHALLENGE in kern/mm/pmm.py and kern/mm/vmm.py). `pyucore run --cow` / `--no-cow`\n"
        "# override it for one run.\n"
        "cow = %s\n"
        "# The lab whose blanks this workspace has (5: labs 1 to 5; 6: lab6's schedulers).\n"
        "lab = %d\n" % (pyucore_version(), "on" if settings["cow"] else "off", settings["lab"]))


def read_settings(root):
    """The settings of workspace root, from its marker file (SETTINGS for what it does not say).
    Raises LabError for a line it cannot read."""
    path = pathlib.Path(root) / MARKER
    settings = dict(SETTINGS)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return settings
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if not sep:
            raise LabError("%s:%d: expected `name = value`, got %r" % (path, number, line))
        if key == "cow":
            if value not in _SWITCHES:
                raise LabError("%s:%d: cow must be on or off, not %r" % (path, number, value))
            settings["cow"] = _SWITCHES[value]
        elif key == "lab":
            if value not in tuple(map(str, LABS)):
                raise LabError("%s:%d: lab must be %s, not %r" % (path, number, " or ".join(map(str, LABS)),
                                                                    value))
            settings["lab"] = int(value)
    return settings


def blank_status(root):
    """[(blank, filled)] for every blank of the workspace's lab marked in root's kern/: filled is
    False while the blank still holds its NotImplementedError line. Raises MarkerError when the
    markers in the workspace are no longer well formed, LabError for an unreadable marker file."""
    from .markers import list_blanks
    blanks = lab_blanks(list_blanks(pathlib.Path(root) / "kern"), read_settings(root)["lab"])
    return [(blank, not any(line.strip().startswith("raise NotImplementedError(%r)" % blank.message)
                            for line in blank.body))
            for blank in blanks]


def find_workspace(start_dir):
    """The workspace directory holding start_dir (start_dir itself or a parent with the marker file),
    or None."""
    start = pathlib.Path(start_dir).expanduser().resolve()
    for directory in (start, *start.parents):
        if (directory / MARKER).is_file():
            return directory
    return None


def _shown(path):
    """path with the home directory written as ~."""
    home = pathlib.Path.home()
    try:
        return "~/" + pathlib.Path(path).relative_to(home).as_posix()
    except ValueError:
        return str(path)


def resolve_kernel(args_kernel, cwd):
    """Which kernel a command runs: (workspace path or None for the built-in kernel, a line to tell the
    user or None). args_kernel is --kernel's value (or None); without it, the workspace holding cwd,
    if any, is used and named in the line. Raises LabError when --kernel is not a workspace."""
    if args_kernel is not None:
        root = pathlib.Path(args_kernel).expanduser()
        if not (root / "kern" / "__init__.py").is_file():
            raise LabError("--kernel %s: not a pyucore lab workspace (no kern/ package in it; "
                           "`pyucore lab init DIR` writes one)" % args_kernel)
        return root.resolve(), None
    root = find_workspace(cwd)
    if root is None:
        return None, None
    return root, "using the lab kernel in %s (pyucore lab workspace)" % _shown(root)
