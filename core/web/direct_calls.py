"""Templates call their messages (`_`, `gettext`, `ngettext`) directly.

Jinja2 calls every function of a template through `Context.call`, which first asks the
function what to pass it (context, eval context or environment); a page's messages are most of
its calls, and that question was a quarter of the citizen front page's template time. Where
the template escapes, a message is also output as it comes: the functions give Markup there
(the variables in it escaped), and escaping Markup only copies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.idtracking import VAR_LOAD_RESOLVE


def direct_calls(env: Environment, **functions: Callable[..., Any]) -> None:
    """Compile calls of these global names of `env` into direct calls, the eval context first
    (the functions are `pass_eval_context` ones that give Markup where the template escapes).
    Only where the name is the global one: a template that sets a variable of that name calls
    it as before. Before any template is loaded."""
    env.code_generator_class = _CodeGenerator
    env.valvomo_calls = functions  # type: ignore[attr-defined]


class _CodeGenerator(CodeGenerator):
    def _direct(self, node: nodes.Node, frame: Frame) -> str | None:
        """The name of the function a direct call calls, if `node` is one."""
        if not isinstance(node, nodes.Call) or not isinstance(node.node, nodes.Name):
            return None
        name = node.node.name
        if (
            name in getattr(self.environment, "valvomo_calls", {})
            and not self.environment.is_async
            and not self.environment.sandboxed
            and frame.symbols.find_load(frame.symbols.ref(name)) == (VAR_LOAD_RESOLVE, name)
        ):
            return name
        return None

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        name = None if forward_caller else self._direct(node, frame)
        if name is None:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.write(f"environment.valvomo_calls[{name!r}](context.eval_ctx")
        self.signature(node, frame)
        self.write(")")

    def _unescaped(self, node: nodes.Expr, frame: Frame, finalize: Any) -> bool:
        return (
            finalize.src is None
            and not frame.eval_ctx.volatile
            and bool(frame.eval_ctx.autoescape)
            and self._direct(node, frame) is not None
        )

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if not self._unescaped(node, frame, finalize):
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if not self._unescaped(node, frame, finalize):
            super()._output_child_post(node, frame, finalize)
