"""Loading a kernel tree (a workspace's kern/) as its own package, beside the built-in pyucore.kern.

Every kernel module imports the others relatively (`from ..mm import pmm`), so DIR/kern imported under
a fresh package name has module globals of its own: the built-in kernel and any number of workspace
kernels can boot in one process without disturbing each other. The machine is shared code
(pyucore.machine, imported absolutely); each boot makes its own Machine.
"""

import functools
import importlib
import importlib.util
import itertools
import pathlib
import re
import sys

from . import LabError

MAX_FRAMES = 8      # a student's traceback shows their last frames, the earlier ones only counted
_names = itertools.count(1)
_loaded = {}        # resolved kern/ directory -> (files' stamp, package)


class StudentCodeError(Exception):
    """Code of a workspace's kernel raised an exception or does not compile. str() is the message for
    the student: their file and line (relative to the workspace), an unfilled blank's own message, or
    the exception with the traceback cut to frames in their files. console holds what the kernel
    printed before (when the error came during a boot)."""

    def __init__(self, message, location=None, blank=None):
        super().__init__(message)
        self.location = location      # (path relative to the workspace, line) or None
        self.blank = blank            # the unfilled blank's message, or None
        self.console = ""


def load_kernel(path=None):
    """The kernel package to boot: pyucore.kern when path is None, else the kern/ of workspace
    directory path, imported (with every submodule, so `k.process.proc.alloc_proc` works) under a
    package name of its own; the same unchanged files give the same package again. Raises LabError
    when path has no kern/ package, StudentCodeError when one of its files does not compile or fails
    while being imported."""
    if path is None:
        import pyucore.kern as package
        _import_modules(package.__name__, _builtin_module_names(pathlib.Path(package.__file__).parent))
        return package
    root = pathlib.Path(path).expanduser().resolve()
    kern = root / "kern"
    if not (kern / "__init__.py").is_file():
        raise LabError("%s: not a pyucore lab workspace (it has no kern/ package; "
                       "`pyucore lab init DIR` writes one)" % path)
    stamp = _stamp(kern)
    cached = _loaded.get(kern)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    name = "pyucore_lab_kern_%d" % next(_names)
    try:
        package = _import_package(name, kern)
        _import_modules(name, _module_names(kern))
    except Exception as exc:
        _forget(name)
        raise student_error(exc, root) from None
    _loaded[kern] = (stamp, package)
    return package


def _stamp(kern):
    """What identifies the state of a kern/ tree's files: each .py file's path, size and mtime."""
    return tuple((str(p), st.st_size, st.st_mtime_ns) for p in sorted(kern.rglob("*.py"))
                 for st in (p.stat(),))


def _import_package(name, kern):
    """Imports kern/__init__.py as the top-level package called name (registered in sys.modules, so
    its modules' relative imports resolve inside it)."""
    spec = importlib.util.spec_from_file_location(name, kern / "__init__.py",
                                                  submodule_search_locations=[str(kern)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


def _import_modules(name, modules):
    """Imports the modules of the package name, in order (names relative to it)."""
    for module in modules:
        importlib.import_module(name + "." + module)


def _module_names(kern):
    """The names of the modules of the package at kern/ relative to it, init.init first as a boot
    imports them."""
    modules = [".".join(p.relative_to(kern).with_suffix("").parts) for p in sorted(kern.rglob("*.py"))
               if "__pycache__" not in p.parts]
    modules = [m[:-len(".__init__")] if m.endswith(".__init__") else m for m in modules]
    return ["init.init"] + [m for m in modules if m and m != "__init__"]


@functools.cache
def _builtin_module_names(kern):
    """_module_names of pyucore's own kernel, listed once per process (its files do not change under
    a running pyucore; a boot then costs no directory walk)."""
    return _module_names(kern)


def _forget(name):
    """Drops the half-imported package name and its modules from sys.modules."""
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def _relative(filename, root):
    """filename relative to the workspace root (with / separators), or None outside its kern/."""
    try:
        rel = pathlib.Path(filename).resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    return rel.as_posix() if rel.parts[:1] == ("kern",) else None


def student_error(exc, root):
    """The StudentCodeError for exception exc raised by (or while compiling) the kernel of workspace
    root: a syntax error as one message at its file:line, an unfilled blank's NotImplementedError as
    its message and place, anything else as the exception at the last line of theirs it passed
    through, with the traceback cut to their files."""
    import traceback    # only a student's error needs it: not imported with every boot (a few ms)
    root = pathlib.Path(root).resolve()
    if isinstance(exc, SyntaxError) and exc.filename and _relative(exc.filename, root):
        return _syntax_error(exc, _relative(exc.filename, root))
    frames = [(rel, f) for f in traceback.extract_tb(exc.__traceback__)
              for rel in (_relative(f.filename, root),) if rel is not None]
    what = re.sub(r"\bpyucore_lab_kern_\d+\b", "kern",
                  "".join(traceback.format_exception_only(type(exc), exc)).strip())
    if not frames:
        return StudentCodeError("your kernel raised %s" % what)
    rel, last = frames[-1]
    location = (rel, last.lineno)
    if isinstance(exc, NotImplementedError) and (last.line or "").startswith("raise NotImplementedError"):
        return StudentCodeError("%s (%s:%d, %s)" % (exc, rel, last.lineno, last.name), location, str(exc))
    lines = ["%s:%d: %s (in %s)" % (rel, last.lineno, what, last.name),
             "Traceback of your kernel (most recent call last):"]
    if len(frames) > MAX_FRAMES:
        lines.append("  ... %d earlier calls in your kernel" % (len(frames) - MAX_FRAMES))
    for rel, frame in frames[-MAX_FRAMES:]:
        lines.append("  %s:%d, in %s" % (rel, frame.lineno, frame.name))
        if frame.line:
            lines.append("    " + frame.line)
    return StudentCodeError("\n".join(lines), location)


def _syntax_error(exc, rel):
    """The one message of a syntax (or indentation) error in the workspace file rel."""
    lines = ["%s:%d: %s: %s" % (rel, exc.lineno or 0, type(exc).__name__, exc.msg)]
    if exc.text:
        text = exc.text.rstrip("\n")
        lines.append("    " + text.strip())
        if exc.offset:
            lines.append("    " + " " * max(0, exc.offset - 1 - (len(text) - len(text.lstrip()))) + "^")
    return StudentCodeError("\n".join(lines), (rel, exc.lineno))
