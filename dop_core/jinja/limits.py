"""Limits on rendering a template, so that no template can hang or exhaust a process that renders it.

:class:`RenderLimits` is a Jinja extension DOP adds to the template environment of every DAG it
builds; Airflow (at run time) and ``dop validate``/``compile`` render through that environment alike:

- a render stops with :class:`RenderLimitError` once it has spent ``DOP_RENDER_TIME_LIMIT`` seconds
  (default 10) in its loops and calls: every ``{% for %}`` loop and every call checks the clock, so a
  nested loop or a macro calling itself twice per level ends with an error instead of running for days;
- ``*`` and ``**`` refuse results too large to hold (``'x' * 10**10``, ``9**9**9``), which would
  otherwise be computed in one step that no clock check can interrupt.

The limit counts from the first loop or call of each render (each Jinja context).
"""

from __future__ import annotations

import copy
import math
import os
import time
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.ext import Extension
from jinja2.runtime import Context
from jinja2.utils import pass_context

from dop_core.errors import DopError

TIME_LIMIT_VARIABLE = "DOP_RENDER_TIME_LIMIT"
DEFAULT_TIME_LIMIT = 10.0
#: the most characters (or items) a ``*`` may produce, and digits a ``**`` may produce
MAX_SIZE = 10_000_000
MAX_DIGITS = 10_000
#: loop iterations between two looks at the clock
_CHECK_EVERY = 1000


class RenderLimitError(DopError):
    """A template went over a render limit (time, or the size of a ``*``/``**`` result)."""


def time_limit() -> float:
    """Seconds one render may spend in loops and calls: ``$DOP_RENDER_TIME_LIMIT`` or 10."""
    try:
        value = float(os.environ.get(TIME_LIMIT_VARIABLE) or DEFAULT_TIME_LIMIT)
    except ValueError:
        return DEFAULT_TIME_LIMIT
    return value if value > 0 else DEFAULT_TIME_LIMIT


class _LimitedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop's iterable passed through :meth:`RenderLimits.loop`."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not node.recursive:  # a recursive loop's inner calls go through the checked `call`
            node = copy.copy(node)
            check = nodes.ExtensionAttribute(RenderLimits.identifier, "loop", lineno=node.lineno)
            node.iter = nodes.Call(check, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


class RenderLimits(Extension):
    """Time and size limits on every render of the environment it is added to (see the module)."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self._deadlines: weakref.WeakKeyDictionary[Context, float] = weakref.WeakKeyDictionary()
        environment.code_generator_class = _LimitedCodeGenerator
        if environment.sandboxed:  # Airflow's environment is; both hooks are the sandbox's own
            call, binop = environment.call, environment.call_binop

            def checked_call(context: Context, obj: Any, *args: Any, **kwargs: Any) -> Any:
                self._check(context)
                return call(context, obj, *args, **kwargs)

            def checked_binop(context: Context, operator: str, left: Any, right: Any) -> Any:
                _check_size(operator, left, right)
                return binop(context, operator, left, right)

            environment.call = checked_call
            environment.call_binop = checked_binop
            environment.intercepted_binops = environment.intercepted_binops | {"*", "**"}

    @pass_context
    def loop(self, context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
        """What a ``{% for %}`` loop iterates: ``iterable``, looking at the clock as it goes."""
        self._check(context)
        return self._iterate(context, iterable)

    def _iterate(self, context: Context, iterable: Iterable[Any]) -> Iterator[Any]:
        for n, item in enumerate(iterable, 1):
            if n % _CHECK_EVERY == 0:
                self._check(context)
            yield item

    def _check(self, context: Context) -> None:
        now = time.monotonic()
        deadline = self._deadlines.get(context)
        if deadline is None:
            self._deadlines[context] = now + time_limit()
        elif now > deadline:
            raise RenderLimitError(f"rendering the template took longer than {time_limit():g}s, the limit "
                                   f"({TIME_LIMIT_VARIABLE}); it stopped in a loop or call here")


def _check_size(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_SIZE:
                raise RenderLimitError(f"the template repeats a text or list into {len(seq) * n:,} items "
                                       f"(the limit is {MAX_SIZE:,})")
    elif (operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
          and right * math.log10(abs(left)) > MAX_DIGITS):
        raise RenderLimitError(f"the template raises a number to a power with more than {MAX_DIGITS:,} digits")
