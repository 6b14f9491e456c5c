"""Shared utilities of every part: the user cache folder (cachedir), file locks (locks), user-only files
(private) and the project's URLs (urls)."""
