"""Lab mode (the tools side; the kernel never imports it): the blanks marked in pyucore's own kernel,
student workspaces built from them, and loading a workspace's kernel beside the built-in one."""

SETTINGS = {"cow": False, "lab": 5}       # what a new workspace starts with


class LabError(ValueError):
    """A lab request that cannot be done (a DIR that is not empty, not a workspace, an unknown blank):
    str() is one line for the user."""
