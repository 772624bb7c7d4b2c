"""bash's arithmetic, `$((…))`, evaluated as bash 5.2's expr.c does it.

64-bit integers that wrap, C's division and remainder (towards zero), bash's precedence from
`,` up to `**`, short-circuit `&&`, `||` and `?:` that parse without evaluating the side not
taken, variables whose values are expressions themselves (`k='i+1'; $((k))`), assignments
and `++`/`--`, numbers in base 8, 16 or `BASE#DIGITS`; and bash's errors, each with its
"error token": the rest of the expression from the token where bash stopped. The expression
arrives here already expanded (parameters, command substitutions, quotes removed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labkit.shell.parser import NAME

INTMAX_MIN = -(1 << 63)
WHITESPACE = " \t\n\r"
# bash's MAX_EXPR_RECURSION_LEVEL is 1024; variables naming expressions nest evaluations, and
# Python's stack ends sooner, so labkit stops a self-referring chain here with bash's message.
MAX_DEPTH = 32

# tokens: ("num", value), ("str", name) or an operator's text; None at the end
NUM, STR = "num", "str"
ASSIGN_OPS = ("*=", "/=", "%=", "+=", "-=", "<<=", ">>=", "&=", "^=", "|=")
TWO_CHAR = ("==", "!=", ">=", "<=", "&&", "||", "**", "<<", ">>")
ARITH_OPS = set("+-*/%<>=!~&^|?:,()")
# the binary operators below `&&`, by precedence (higher binds tighter), all left-associative
LEVELS: tuple[tuple[str, ...], ...] = (
    ("|",), ("^",), ("&",), ("==", "!="), ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"),
    ("*", "/", "%"))
LEVEL_OF = {op: level for level, ops in enumerate(LEVELS) for op in ops}


class ArithError(Exception):
    """bash's refusal: `EXPR: MESSAGE (error token is "TOKEN")`; the line stops there."""


def wrap(value: int) -> int:
    """The value as bash's intmax_t holds it."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _c_mod(a: int, b: int) -> int:
    return a - b * _c_div(a, b)


def apply(op: str, a: int, b: int) -> int:
    """A binary operator of bash's on two values (division by zero is checked before)."""
    if op in ("/", "%") and a == INTMAX_MIN and b == -1:
        return INTMAX_MIN if op == "/" else 0
    result = {
        "|": lambda: a | b, "^": lambda: a ^ b, "&": lambda: a & b,
        "==": lambda: int(a == b), "!=": lambda: int(a != b), "<": lambda: int(a < b),
        ">": lambda: int(a > b), "<=": lambda: int(a <= b), ">=": lambda: int(a >= b),
        "<<": lambda: a << (b & 63), ">>": lambda: a >> (b & 63), "+": lambda: a + b,
        "-": lambda: a - b, "*": lambda: a * b, "/": lambda: _c_div(a, b),
        "%": lambda: _c_mod(a, b)}[op]()
    return wrap(result)


def number(text: str) -> int:
    """bash's strlong(): decimal, 0octal, 0xhex or BASE#DIGITS (bases 2-64)."""
    s, base, found, val, i = text, 10, False, 0, 0
    if s.startswith("0"):
        i = 1
        if i == len(s):
            return 0
        if s[i] in "xX":
            base, i = 16, i + 1
        else:
            base = 8
        found = True
    while i < len(s):
        c = s[i]
        i += 1
        if c == "#":
            if found:
                raise ValueError("invalid number")
            if val < 2 or val > 64:
                raise ValueError("invalid arithmetic base")
            base, val, found = val, 0, True
            if i >= len(s) or not (s[i].isascii() and (s[i].isalnum() or s[i] in "@_")):
                raise ValueError("invalid integer constant")
            continue
        if c.isdigit():
            digit = int(c)
        elif "a" <= c <= "z":
            digit = ord(c) - ord("a") + 10
        elif "A" <= c <= "Z":
            digit = ord(c) - ord("A") + (10 if base <= 36 else 36)
        elif c == "@":
            digit = 62
        elif c == "_":
            digit = 63
        else:
            break
        if digit >= base:
            raise ValueError("value too great for base")
        val = wrap(val * base + digit)
    return val


@dataclass
class Scope:
    """Where the expression's variables live: read a value (None when unset), set one."""

    get: Callable[[str], str | None]
    set: Callable[[str, str], None]
    readonly: Callable[[str], bool]


class _Evaluator:
    """One expression: bash's readtok() and its recursive descent, with `noeval` for the
    sides that short-circuiting skips."""

    def __init__(self, expr: str, scope: Scope, depth: int) -> None:
        self.expr, self.scope, self.depth = expr, scope, depth
        self.cp = 0  # where the next token starts
        self.lasttp = 0  # where the last token read started: the error token's start
        self.curtok: str | None = None
        self.lasttok: str | None = None
        self.tokval = 0
        self.tokstr = ""
        self.noeval = 0

    # errors
    def error(self, message: str) -> ArithError:
        shown = self.expr.lstrip(WHITESPACE)
        return ArithError(f'bash: {shown}: {message} (error token is "{self.expr[self.lasttp:]}")')

    # the tokenizer
    def readtok(self) -> None:
        s, cp = self.expr, self.cp
        while cp < len(s) and s[cp] in WHITESPACE:
            cp += 1
        if cp >= len(s):
            self.lasttok, self.curtok, self.cp = self.curtok, None, cp
            return
        self.lasttp = start = cp
        c = s[cp]
        ident = NAME.match(s, cp)  # bash's legal_variable_starter, then its legal_variable_char
        if ident:
            name, end = ident.group(), ident.end()
            after = s[end:].lstrip(WHITESPACE)
            assigning = after.startswith("=") and not after.startswith("==")
            self.tokstr = name
            self.tokval = 0 if self.noeval or assigning else self.variable(name)
            self.lasttok, self.curtok, self.cp = self.curtok, STR, end
            return
        if c.isdigit():
            end = cp + 1
            while end < len(s) and s[end].isascii() and (s[end].isalnum() or s[end] in "#@_"):
                end += 1
            try:
                self.tokval = number(s[start:end])
            except ValueError as exc:
                raise self.error(str(exc)) from None
            self.lasttok, self.curtok, self.cp = self.curtok, NUM, end
            return
        tok, cp = c, cp + 1
        c1 = s[cp] if cp < len(s) else ""
        if c in "<>" and c1 == c and s[cp + 1:cp + 2] == "=":
            tok, cp = c * 2 + "=", cp + 2
        elif c + c1 in TWO_CHAR:
            tok, cp = c + c1, cp + 1
        elif c in "+-" and c1 == c and self.curtok == STR:
            tok, cp = "post" + c * 2, cp + 1
        elif c in "+-" and c1 == c and self.curtok == NUM and self.lasttok in ("pre++", "pre--"):
            raise self.error(f"{c * 2}: assignment requires lvalue")
        elif c in "+-" and c1 == c:
            if NAME.match(s[cp + 1:].lstrip(WHITESPACE)):
                tok, cp = "pre" + c * 2, cp + 1
        elif c1 == "=" and c in "*/%+-&^|":
            tok, cp = c + "=", cp + 1
        elif c not in ARITH_OPS:
            self.cp = cp - 1
            if self.curtok is None or self.curtok not in (NUM, STR, ")", "post++", "post--"):
                raise self.error("syntax error: operand expected")
            raise self.error("syntax error: invalid arithmetic operator")
        self.lasttok, self.curtok, self.cp = self.curtok, tok, cp

    def variable(self, name: str) -> int:
        """A variable's value: 0 when unset or empty, else its text evaluated in turn."""
        value = self.scope.get(name)
        if not value:
            return 0
        if self.depth >= MAX_DEPTH:
            raise self.error("expression recursion level exceeded")
        return _Evaluator(value, self.scope, self.depth + 1).run()

    def bind(self, name: str, value: int) -> None:
        if self.noeval:
            return
        if self.scope.readonly(name):
            raise ArithError(f"bash: {name}: readonly variable")
        self.scope.set(name, str(value))

    # the grammar, lowest precedence first
    def run(self) -> int:
        if not self.expr.strip(WHITESPACE):
            return 0
        self.readtok()
        value = self.comma()
        if self.curtok is not None:
            raise self.error("syntax error in expression")
        return value

    def comma(self) -> int:
        value = self.assign()
        while self.curtok == ",":
            self.readtok()
            value = self.assign()
        return value

    def assign(self) -> int:
        value = self.cond()
        op = self.curtok
        if op == "=" or op in ASSIGN_OPS:
            if self.lasttok != STR:
                raise self.error("attempted assignment to non-variable")
            name, current = self.tokstr, self.tokval
            if op != "=":
                current = self.scope_value(name)
            self.readtok()
            rhs = self.assign()
            if op != "=":
                binop = op[:-1]
                if binop in ("/", "%") and rhs == 0:
                    raise self.error("division by 0")
                rhs = apply(binop, current, rhs)
            self.bind(name, rhs)
            value = rhs
            self.lasttok = NUM
        return value

    def scope_value(self, name: str) -> int:
        return 0 if self.noeval else self.variable(name)

    def cond(self) -> int:
        value = self.lor()
        if self.curtok != "?":
            return value
        self.readtok()
        if self.curtok in (None, ":"):
            raise self.error("expression expected")
        self.noeval += not value
        then = self.comma()
        self.noeval -= not value
        if self.curtok != ":":
            raise self.error("`:' expected for conditional expression")
        self.noeval += bool(value)
        self.readtok()
        if self.curtok is None:
            raise self.error("expression expected")
        otherwise = self.cond()
        self.noeval -= bool(value)
        self.lasttok = "cond"
        return then if value else otherwise

    def lor(self) -> int:
        value = self.land()
        while self.curtok == "||":
            skip = bool(value)  # 1 || anything: the right side is parsed, not evaluated
            self.noeval += skip
            self.readtok()
            other = self.land()
            self.noeval -= skip
            value = int(bool(value or other))
            self.lasttok = "||"
        return value

    def land(self) -> int:
        value = self.binary(0)
        while self.curtok == "&&":
            skip = not value
            self.noeval += skip
            self.readtok()
            other = self.binary(0)
            self.noeval -= skip
            value = int(bool(value and other))
            self.lasttok = "&&"
        return value

    def binary(self, lowest: int) -> int:
        """Operators from `|` to `%` by precedence climbing: one frame however many levels."""
        value = self.power()
        while self.curtok in LEVEL_OF and LEVEL_OF[self.curtok] >= lowest:
            op = self.curtok
            after_op = self.cp
            self.readtok()
            other = self.binary(LEVEL_OF[op] + 1)
            if op in ("/", "%") and other == 0:
                if not self.noeval:  # bash names what follows the operator
                    self.lasttp = after_op
                    while self.lasttp < len(self.expr) and self.expr[self.lasttp] in WHITESPACE:
                        self.lasttp += 1
                    raise self.error("division by 0")
                other = 1
            value = apply(op, value, other)
            self.lasttok = NUM
        return value

    def power(self) -> int:
        value = self.unary()
        if self.curtok == "**":
            self.readtok()
            exponent = self.power()  # right-associative
            if exponent < 0:
                raise self.error("exponent less than 0")
            value = wrap(pow(value, exponent, 1 << 64))
            self.lasttok = NUM
        return value

    def unary(self) -> int:
        op = self.curtok
        if op in ("!", "~", "-", "+"):
            self.readtok()
            value = self.unary()
            self.lasttok = NUM
            return {"!": int(not value), "~": ~value, "-": wrap(-value), "+": value}[op]
        return self.operand()

    def operand(self) -> int:
        tok = self.curtok
        if tok in ("pre++", "pre--"):
            self.readtok()
            if self.curtok != STR:
                raise self.error("identifier expected after pre-increment or pre-decrement")
            value = wrap(self.tokval + (1 if tok == "pre++" else -1))
            self.bind(self.tokstr, value)
            self.curtok = NUM  # so that --x=7 is refused
            self.readtok()
            return value
        if tok == "(":
            self.readtok()
            value = self.comma()
            if self.curtok != ")":
                raise self.error("missing `)'")
            self.readtok()
            return value
        if tok in (NUM, STR):
            value = self.tokval
            if tok == STR:
                name = self.tokstr
                saved = (self.cp, self.lasttp, self.curtok, self.lasttok, self.tokval)
                self.noeval += 1
                self.readtok()
                self.noeval -= 1
                if self.curtok in ("post++", "post--"):
                    self.tokstr, self.lasttok = name, STR
                    self.bind(name, wrap(value + (1 if self.curtok == "post++" else -1)))
                    self.curtok = NUM  # so that x++=7 is refused
                else:
                    self.cp, self.lasttp, self.curtok, self.lasttok, self.tokval = saved
                    self.tokstr = name
            self.readtok()
            return value
        raise self.error("syntax error: operand expected")


def evaluate(expr: str, scope: Scope) -> int:
    """The value of `expr` (already expanded), or ArithError with bash's message."""
    evaluator = _Evaluator(expr, scope, 0)
    try:
        return evaluator.run()
    except RecursionError:  # nested hundreds deep, which bash evaluates: refused in its words
        raise evaluator.error("expression recursion level exceeded") from None
