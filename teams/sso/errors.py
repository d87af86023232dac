class SSORefused(Exception):
    """A login through SSO that must not succeed.

    `reason` is a stable code for the audit log and tests; `message` is what
    the person trying to log in is told.
    """

    def __init__(self, reason: str, message: str, *, status: int = 403):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
