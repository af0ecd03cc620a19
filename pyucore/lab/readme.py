"""The texts a workspace starts with: its README (the exercises, built from the blanks) and the report."""

from itertools import groupby

# What each exercise asks for as a whole; its blanks are listed under it.
EXERCISES = {
    "LAB1 EXERCISE 2": "the timer interrupt (kern/trap/trap.py)",
    "LAB2 EXERCISE 1": "the first-fit page allocator (kern/mm/default_pmm.py)",
    "LAB3 EXERCISE 1": "serving a page fault with a new page (kern/mm/vmm.py)",
    "LAB3 EXERCISE 2": "page replacement: swap-in and the FIFO manager (kern/mm/vmm.py, swap_fifo.py)",
    "LAB4 EXERCISE 1": "allocating a process control block (kern/process/proc.py)",
    "LAB4 EXERCISE 2": "creating a process: do_fork (kern/process/proc.py)",
    "LAB4 EXERCISE 3": "running a process: proc_run (kern/process/proc.py)",
    "LAB5 EXERCISE 0": "what lab5 adds to the earlier code: process links and wait states",
    "LAB5 EXERCISE 1": "loading a program: load_icode's trapframe (kern/process/proc.py)",
    "LAB5 EXERCISE 2": "copying the parent's memory at fork: copy_range (kern/mm/pmm.py)",
    "LAB5 CHALLENGE": "copy-on-write fork (kern/mm/pmm.py, kern/mm/vmm.py)",
    "LAB6 EXERCISE 1": "round robin: the RR class and the timer's proc_tick (kern/schedule/default_sched.py, "
                       "kern/trap/trap.py)",
    "LAB6 EXERCISE 2": "stride scheduling (kern/schedule/default_sched_stride.py)",
}
LAB6_QUESTIONS = (
    "How does schedule() use a sched_class? Follow a process from wakeup_proc to the CPU and back "
    "to the run queue, naming the class function called at each step.",
    "Why do strides compare by their signed 32-bit difference, and why must BIG_STRIDE be at most "
    "2**31 - 1 for that to stay right after they wrap?",
    "Run `pyucore run priority --sched rr` and `--sched stride` with `--stats`: explain the turns, "
    "priorities and strides the table shows.",
)

QUESTIONS = (
    "How do fork, exec, wait and exit work in this kernel? For each, say which part runs in user "
    "mode and which in the kernel, and how the kernel's work ends up back in the user program "
    "(start from the ecall in user/libs/syscall.c and follow it to the do_* function).",
    "How do these four calls affect a process's state? Draw the life cycle of a user process: the "
    "states (PROC_UNINIT, PROC_RUNNABLE, PROC_SLEEPING, PROC_ZOMBIE), and for each change of state "
    "the function that makes it and the event that causes it.",
    "exec is called from the kernel for the first user program (user_main's kernel_execve). How does "
    "that call get into do_execve, and how does the process reach user mode afterwards?",
)


def _by_exercise(blanks):
    """[(exercise, [blanks])] in the order the exercises first appear by lab and number."""
    ordered = sorted(blanks, key=lambda b: (b.exercise.replace("CHALLENGE", "~"), b.file, b.begin))
    return [(name, list(group)) for name, group in groupby(ordered, key=lambda b: b.exercise)]


def _exercise_sections(blanks):
    """The README's lines for each exercise: its heading, then a line per blank."""
    out = []
    for exercise, group in _by_exercise(blanks):
        out.append("### %s: %s" % (exercise, EXERCISES.get(exercise, "")))
        out.append("")
        for blank in group:
            out.append("- `kern/%s`, `%s` (blank `%s`): %s" % (blank.file, blank.function, blank.id,
                                                              blank.summary))
        out.append("")
    return out


def lab_readme(blanks):
    """The workspace's README.md: the exercises and their blanks, exercise 3's questions, how to run
    and grade."""
    out = [
        "# pyucore lab 5: user processes",
        "",
        "This is your own copy of the whole ucore lab5 kernel, in Python, in `kern/` (the same layout",
        "as ucore's `kern/`); `user/` holds the C sources of the user programs and their library, to",
        "read (pyucore runs its built-in copies of them). Some kernel functions have blanks: the",
        "reference code was replaced by a hint in the handout's style and a line that fails when it",
        "is reached:",
        "",
        "    # LAB5:EXERCISE1 load_icode BEGIN",
        "    # load_icode step 6 - set up the trapframe for user environment",
        "    # ...",
        "    raise NotImplementedError(\"LAB5 EXERCISE 1: load_icode step 6 - ...\")",
        "    # LAB5:EXERCISE1 load_icode END",
        "",
        "Replace the `raise` line of each blank with your code (keep the BEGIN/END lines). A kernel",
        "that reaches a blank you have not filled stops with that blank's message, file and line.",
        "",
        "## Exercises",
        "",
        "Exercise 0 is to bring the code of the earlier labs (LAB1 to LAB4) into this kernel and",
        "extend it for lab5; then exercises 1 and 2, exercise 3 (questions, below), and the challenge.",
        "",
    ]
    out += _exercise_sections(blanks)
    out += ["### LAB5 EXERCISE 3: questions", "",
            "Answer them in `report.md` (in your own words, with the functions you read):", ""]
    out += ["%d. %s" % (i, q) for i, q in enumerate(QUESTIONS, start=1)]
    out += [
        "",
        "### The challenge: copy-on-write fork",
        "",
        "The workspace starts with copy-on-write off: fork copies every page (your `copy_range`). Once",
        "you have written the two LAB5:CHALLENGE blanks, turn it on with `cow = on` in `.pyucore-lab`",
        "(`pyucore run PROG --cow` tries it for one run, `--no-cow` turns it off for one run).",
        "",
        "## Running your kernel",
        "",
        "Inside this directory (or any directory below it), `pyucore` uses the kernel in `kern/` and",
        "says so on its first line:",
        "",
        "    pyucore run hello          # boot your kernel and run the hello program",
        "    pyucore run forktest --quiet-boot",
        "    pyucore list               # the 15 programs",
        "    pyucore lab status         # which blanks you have filled",
        "    pyucore run my.c           # a C program of your own, against the user library",
        "",
        "Elsewhere, `pyucore run hello --kernel DIR` runs the kernel of workspace DIR. An exception in",
        "your code is shown with your file and line and the traceback cut to your files (exit status",
        "5); a kernel panic prints `kernel panic at kern/...` on the console, as ucore does.",
        "",
        "## Grading",
        "",
        "    pyucore grade              # the 13 graded lab5 tests on your kernel, out of 130",
        "",
        "Write your report in `report.md`.",
        "",
    ]
    return "\n".join(out)


def lab6_readme(blanks):
    """The README.md of a lab6 workspace: the scheduler framework, its blanks, how to run and grade."""
    out = [
        "# pyucore lab 6: scheduling",
        "",
        "This is your own copy of the whole kernel, in Python, in `kern/`, with the earlier labs' code",
        "filled in. lab6 makes the scheduler a framework: `schedule()` and `wakeup_proc` in",
        "`kern/schedule/sched.py` call a `sched_class` (`init`, `enqueue`, `dequeue`, `pick_next`,",
        "`proc_tick`) over a `run_queue`, and the timer calls the class's `proc_tick` at every tick.",
        "Each blank holds a hint in the handout's style and a line that fails when it is reached:",
        "replace that line with your code (keep the BEGIN/END lines).",
        "",
        "## Exercises",
        "",
    ]
    out += _exercise_sections(blanks)
    out += ["### LAB6 questions", "", "Answer them in `report.md`:", ""]
    out += ["%d. %s" % (i, q) for i, q in enumerate(LAB6_QUESTIONS, start=1)]
    out += [
        "",
        "## Running your kernel",
        "",
        "Inside this directory `pyucore` uses the kernel in `kern/`:",
        "",
        "    pyucore run priority --sched rr      # round robin: the five children count about the same",
        "    pyucore run priority                 # stride: stride sched correct result: 1 2 3 4 5",
        "    pyucore run priority --stats         # each process's turns, priority and stride",
        "    pyucore lab status                   # which blanks you have filled",
        "",
        "## Grading",
        "",
        "    pyucore grade --lab lab6   # lab6's priority test, out of 50, then lab5's tests as extra checks",
        "",
    ]
    return "\n".join(out)


def _report(title, blanks, prompt, questions_heading, questions):
    """A report.md: title, one section per exercise (with prompt), then the questions to answer."""
    out = ["# %s" % title, "", "Name:", "", "Student number:", ""]
    for exercise, _ in _by_exercise(blanks):
        out += ["## %s: %s" % (exercise, EXERCISES.get(exercise, "")), "", prompt, "", ""]
    out += ["## %s" % questions_heading, ""]
    for i, question in enumerate(questions, start=1):
        out += ["%d. %s" % (i, question), "", "Answer:", "", ""]
    return "\n".join(out)


def lab6_report_template(blanks):
    """The report.md of a lab6 workspace: one section per exercise, then the questions."""
    return _report("Lab 6 report", blanks, "What you wrote and why:", "LAB6 questions", LAB6_QUESTIONS)


def report_template(blanks):
    """The report.md a student fills: one section per exercise, then exercise 3's questions."""
    return _report("Lab 5 report", blanks, "What you wrote and why (and, for the challenge, how you tested it):",
                   "LAB5 EXERCISE 3", QUESTIONS)
