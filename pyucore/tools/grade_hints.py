"""Hints for failed grade tests: which exercise most likely caused a failure, and why.

The hints are data: each rule names an exercise, says why, and holds when all of its conditions hold
on what the test showed (its console, how it stopped, the error it raised). The first rule that
holds gives the hint, so the rules go from the most specific evidence to the most general: the
error the kernel raised, then the console.
"""

import functools
import re
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Evidence:
    """What a failed test showed: its name, console, how it stopped (see grade_runner.RunReport.stop:
    None, or (kind, detail)) and the user instructions it retired (None when unknown)."""

    name: str
    console: str
    stop: Optional[tuple]
    instructions: Optional[int] = None


@dataclass(frozen=True)
class Shows:
    """Holds when some console line matches the regex (searched anywhere in the line)."""

    regex: str

    def match(self, evidence: Evidence):
        """Returns the regex's match in the console, or None."""
        return re.search(self.regex, evidence.console, re.MULTILINE)


@dataclass(frozen=True)
class Lacks:
    """Holds when no console line contains text."""

    text: str

    def match(self, evidence: Evidence):
        """Returns True when the console does not contain the text, else None."""
        return True if self.text not in evidence.console else None


@dataclass(frozen=True)
class Raised:
    """Holds when the test ended with an error (a student exception, a crash) whose message matches
    the regex."""

    regex: str

    def match(self, evidence: Evidence):
        """Returns the regex's match in the error message, or None."""
        if evidence.stop is None or evidence.stop[0] not in ("error", "crash"):
            return None
        return re.search(self.regex, evidence.stop[1])


@dataclass(frozen=True)
class Stopped:
    """Holds when the test was stopped by a limit of this kind ("insns" or "wall")."""

    kind: str

    def match(self, evidence: Evidence):
        """Returns True when the test stopped this way, else None."""
        return True if evidence.stop is not None and evidence.stop[0] == self.kind else None


@dataclass(frozen=True)
class Ran:
    """Holds when the run retired at least insns user instructions."""

    insns: int

    def match(self, evidence: Evidence):
        """Returns True when the run retired that many instructions, else None."""
        return True if (evidence.instructions or 0) >= self.insns else None


@dataclass(frozen=True)
class Rule:
    """A hint: exercise and why (both may use {1}, {2}... for the groups of the first regex
    condition's match), given when every condition holds (for the named tests only, if any)."""

    exercise: str
    why: str
    conditions: tuple
    tests: tuple = ()


@dataclass(frozen=True)
class Hint:
    """The hint a failed test gets."""

    exercise: str
    why: str

    def __str__(self) -> str:
        return f"{self.exercise}: {self.why}"


ALLOC_PROC = "LAB4 EXERCISE 1 (alloc_proc)"
DO_FORK = "LAB4 EXERCISE 2 (do_fork)"
TIMER = "LAB1 (the timer interrupt)"
FIRST_FIT = "LAB2 EXERCISE 1 (first-fit default_alloc_pages / default_free_pages)"
PGFAULT = "LAB3 EXERCISE 1 (do_pgfault)"
FIFO = "LAB3 EXERCISE 2 (the FIFO swap manager)"
LOAD_ICODE = "LAB5 EXERCISE 1 (load_icode step 6)"
COPY_RANGE = "LAB5 EXERCISE 2 (copy_range)"
EXIT_WAIT = "LAB5 do_exit / do_wait"
KILL = "LAB5 do_kill"
SET_LINKS = "LAB5 EXERCISE 0 (do_fork's set_links)"

SLICE_INSNS = 10_000 * 100  # a scheduling slice at boot's default tick_insns x tick_num

# An unfilled blank's NotImplementedError names its exercise: the surest evidence there is.
BLANK_RULE = Rule("{1}", "this blank is not filled in yet: {2}",
                  (Raised(r"((?:LAB\d+|CHALLENGE)[A-Z0-9 ]*?)\s*:\s*([^\n]*)"),))

# What the console shows, from the most specific evidence to the most general.
CONSOLE_RULES = (
    Rule(LOAD_ICODE, "the program started at address 0: set tf->epc to the ELF's entry (elf->e_entry)",
         (Shows(r"^pid 2 \(.*\) killed: .* at 0x0, epc 0x0$"),)),
    Rule(LOAD_ICODE, "the program's first push faulted near address 0: set the user stack pointer "
                     "tf->gpr.sp to USTACKTOP",
         (Shows(r"^pid 2 \(.*\) killed: store page fault at 0xf{8,}[0-9a-f]*, epc"),)),
    Rule(COPY_RANGE, "a forked child crashed at once: its memory must be a copy of its parent's "
                     "(copy each page's bytes with memcpy(page2kva(npage), page2kva(page), PGSIZE) and "
                     "page_insert it), not fresh or empty pages",
         (Shows(r"^pid (?:[3-9]|\d\d+) \(.*\) killed: "),)),
    Rule(DO_FORK, "the child never ran as the child: fork must return 0 in the child (copy_thread "
                  "sets the child's trapframe a0 = 0) and the child's pid in the parent",
         (Lacks("I am the child."), Shows(r"I am parent, fork a child pid")), ("exit",)),
    Rule(DO_FORK, "no child ever printed: fork must return 0 in the child (copy_thread sets the "
                  "child's trapframe a0 = 0)",
         (Shows(r"^kernel_execve: pid = 2, "), Lacks("I am child ")), ("forktest",)),
    Rule(KILL, "the killed child never exited: do_kill must set proc->flags |= PF_EXITING (and wake "
               "it if it waits), and trap() calls do_exit(-E_KILLED) for a PF_EXITING process on its "
               "way back to user mode",
         (Shows(r"^kill returns 0$"), Lacks("wait returns 0")), ("spin",)),
    Rule(TIMER, "the spinning child was never preempted: the timer interrupt must arm the next event "
                "(clock_set_next_event), count the tick, and set current->need_resched every TICK_NUM "
                "ticks",
         (Shows(r"^I am the child\. spinning \.\.\.$"), Lacks("Killing the child"), Ran(2 * SLICE_INSNS)),
         ("spin",)),
    Rule(EXIT_WAIT, "memory of exited processes is not all given back: do_exit frees the mm "
                    "(exit_mmap, put_pgdir, mm_destroy) and do_wait frees the child's kernel stack "
                    "(put_kstack) after unhash_proc / remove_links",
         (Shows(r"init check memory failed: \d+ pages not given back"),)),
    Rule(SET_LINKS, "the parent found no child to wait for: do_fork must link the child with "
                    "set_links(proc) (and hash_proc) so do_wait finds it",
         (Shows(r"assertion failed: .*wait"),)),
    Rule(FIRST_FIT, "the boot check of the page allocator did not pass",
         (Lacks("check_alloc_page() succeeded!"),)),
    Rule(PGFAULT, "the boot check of page faults did not pass: do_pgfault must map a page for a "
                  "valid address (pgdir_alloc_page) or swap it in (swap_in, page_insert, "
                  "swap_map_swappable)",
         (Lacks("check_vmm() succeeded."),)),
    Rule(FIFO, "the boot check of swapping did not pass: map_swappable adds the page at the list's "
               "tail, swap_out_victim takes the oldest from its head",
         (Lacks("check_swap() succeeded!"),)),
)


@functools.cache
def blank_rules() -> tuple:
    """Rules for an exception raised in the student's code (the loader's message begins
    `kern/FILE:LINE: Exception (in FUNCTION)`) in a function that holds blanks: they name the
    exercises of those blanks. Made from the blanks' markers."""
    from pyucore.lab.markers import list_blanks
    exercises = {}
    for blank in list_blanks():
        place = (blank.file, blank.function.rpartition(".")[2])
        exercises.setdefault(place, {})[blank.exercise] = None
    return tuple(
        Rule(" / ".join(names), f"your code raised in {function} (kern/{file}), which holds this "
                                "exercise's blank",
             (Raised(rf"(?m)^kern/{re.escape(file)}:\d+: .*\(in {re.escape(function)}\)$"),))
        for (file, function), names in exercises.items())


def hint_for(evidence: Evidence, rules: Optional[tuple] = None) -> Optional[Hint]:
    """Returns the hint of the first rule that holds on evidence, or None. The rules by default: an
    unfilled blank's message, an exception in a function with blanks, then what the console shows."""
    if rules is None:
        rules = (BLANK_RULE, *blank_rules(), *CONSOLE_RULES)
    for rule in rules:
        if rule.tests and evidence.name not in rule.tests:
            continue
        found = _all_hold(rule.conditions, evidence)
        if found is not None:
            groups = ("",) + (found.groups() if isinstance(found, re.Match) else ())
            return Hint(rule.exercise.format(*groups), rule.why.format(*groups))
    return None


def _all_hold(conditions: tuple, evidence: Evidence):
    """Returns the first regex match among the conditions (True when none is a regex) when every
    condition holds, else None."""
    first = True
    for condition in conditions:
        found = condition.match(evidence)
        if found is None:
            return None
        if first is True and isinstance(found, re.Match):
            first = found
    return first
