"""Signals that let lower floors report to the audit log without importing it.

accounts may not import teams (imports only go down), so account-level
services (personal API keys, password changes) send `security_event`; the
audit log in teams.audit listens and records it.
"""

from django.dispatch import Signal

# kwargs: action (str), actor (User | None), target (str), ip (str | None), data (dict)
security_event = Signal()
