"""Expression strings that try to run code: each would run ``touch {sentinel}`` if evaluated.

Shapes: attribute chains through dunders, builtins called by name, subscripts of
``globals()``, lambdas, comprehensions, f-strings, the walrus operator, conditionals, a
decorator-free class-hierarchy walk, full-width (NFKC) identifiers, sympy's own names
(``Function``, ``Symbol``), and payloads hidden after a valid prefix or inside a call.
"""

PAYLOADS = (
    "((Symbol.__new__.__globals__['__builtins__']['__import__'])('os').system)"
    "('touch {sentinel}') + x**2",
    "__import__('os').system('touch {sentinel}')",
    "x**2 + __import__('os').system('touch {sentinel}')",
    "exec(\"open('{sentinel}', 'w')\")",
    "eval(\"__import__('os').system('touch {sentinel}')\")",
    "open('{sentinel}', 'w').close() or x**2",
    "(lambda: __import__('os').system('touch {sentinel}'))() + x**2",
    "[__import__('os').system('touch {sentinel}') for _ in [1]][0] + x**2",
    "f\"{{__import__('os').system('touch {sentinel}')}}\"",
    "(s := __import__('os')).system('touch {sentinel}')",
    "globals()['__builtins__']['__import__']('os').system('touch {sentinel}')",
    "().__class__.__base__.__subclasses__()[0]('touch {sentinel}') + x",
    "x**2 if __import__('os').system('touch {sentinel}') else x**2",
    "ｅｘｅｃ(\"open('{sentinel}', 'w')\")",
    "x.__class__.__init__.__globals__['os'].system('touch {sentinel}')",
    "Function('f')(x).__class__.__init__.__globals__['os'].system('touch {sentinel}')",
    "sin(__import__('os').system('touch {sentinel}')) + x**2",
    "x**2\n__import__('os').system('touch {sentinel}')",
    "x**2; __import__('os').system('touch {sentinel}')",
    "getattr(__import__('os'), 'system')('touch {sentinel}')",
    "x**2 + sympify(\"__import__('os').system('touch {sentinel}')\")",
    "(__import__)('os').system('touch {sentinel}') + x**2",
    "(eval)(\"__import__('os').system('touch {sentinel}')\") + x**2",
    "(getattr)((__import__)('os'), 'system')('touch {sentinel}') + x**2",
    "x**2 + parse_expr(\"__import__('os').system('touch {sentinel}')\")",
)
