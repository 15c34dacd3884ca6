"""Reviewing: the session browser, the active sessions board, a patient's series, closing and
amending, read-only archives."""
