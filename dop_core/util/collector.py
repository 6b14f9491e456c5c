"""Python's cyclic garbage collector paused around bulk work that makes long-lived objects, not garbage cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, and resume it as it was, whatever happens.

    Building DAGs (or validating a project's configs) makes objects that live on (operators, DAGs, configs), and
    each collection of the oldest generation walks every object of the process, Airflow's included: at 200 DAGs
    of 30 tasks, three such walks were a third of a parse. Objects are still freed as soon as nothing refers to
    them; only cycles wait for the collector, which runs again after the block.

    The first time in a process, what the process holds already is moved out of the collector's sight
    (:func:`gc.freeze`, as Airflow's DAG processor does before it forks): the modules, classes and functions of
    Airflow, DOP and the operators, imported once and kept until the process exits. The one collection of the
    oldest generation a parse cannot avoid then walks what the parse made (~45,000 objects at 50 DAGs of 20
    tasks), not those as well (~220,000: a quarter of a ``DagBag()``). What DOP builds is never frozen: DAGs
    built again and again (tests, a notebook) are freed as before.
    """
    _freeze_once()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_frozen = False


def _freeze_once() -> None:
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
