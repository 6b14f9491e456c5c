"""Shared utilities of every part: the user cache folder (cachedir), file locks (locks), user-only files
(private), the project's URLs (urls) and a pause of the garbage collector for bulk work (collector)."""
