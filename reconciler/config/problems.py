"""What is wrong in a config file, every problem at once, in plain words with the key.

Pydantic's errors said again with the key, what was expected, what was found (never a secret's
value) and the nearest real key; then what the types cannot see (addresses, named environment
variables, scope patterns, schedules).
"""

from __future__ import annotations

import difflib
import re
from email.utils import parseaddr
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from reconciler.config.sections import FILE_SOURCES, Config
from reconciler.errors import Problem

# A key whose value may be a secret: its value is never repeated in a message. (The *_env keys
# name a variable, which is no secret.)
_SECRET_WORDS = ("password", "token", "secret", "api_key", "apikey")


def is_secret_key(key: str) -> bool:
    last = key.rsplit(".", 1)[-1].lower()
    return not last.endswith("_env") and any(w in last for w in _SECRET_WORDS)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the section at `loc` accepts (aliases as written in the file)."""
    model: Any = Config
    for part in loc:
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:
            field = next(
                (f for f in getattr(model, "model_fields", {}).values() if f.alias == part), None
            )
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [f.alias or name for name, f in model.model_fields.items()]


def validation_problems(error: ValidationError) -> list[Problem]:
    """Each validation error in plain words: the key, what was expected, what was found (never
    a secret's value), and for a misspelt key the nearest real one."""
    problems = []
    for e in error.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        found = e.get("input")
        if e["type"] == "extra_forbidden":
            known = _known_keys(tuple(e["loc"][:-1]))
            near = difflib.get_close_matches(str(e["loc"][-1]), known, n=1, cutoff=0.5)
            env_key = f"{e['loc'][-1]}_env"
            if is_secret_key(key) and env_key in known:  # a password written into the file
                text = (
                    f"key '{key}': not a setting: a secret never goes in the file; delete it, "
                    f"put it in an environment variable and name that in '{env_key}'"
                )
                problems.append(Problem(text, "SECRET_IN_FILE", {"key": key, "env_key": env_key}))
            elif near:
                text = f"key '{key}': not a setting; did you mean '{near[0]}'?"
                problems.append(Problem(text, "UNKNOWN_KEY_NEAR", {"key": key, "near": near[0]}))
            else:
                known_text = ", ".join(sorted(known))
                text = f"key '{key}': not a setting" + (
                    f" (known here: {known_text})" if known else ""
                )
                problems.append(Problem(text, "UNKNOWN_KEY", {"key": key, "known": known_text}))
            continue
        secret = is_secret_key(key)
        if secret:
            found_text = ", found a value (not shown: it may be a secret)"
        else:
            found_text = "" if isinstance(found, dict) else f", found {found!r}"
        text = f"key '{key}': {e['msg'][:1].lower()}{e['msg'][1:]}{found_text}"
        # 0.0 said as 0: the bound as the user would write it
        ctx = {
            k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in (e.get("ctx") or {}).items()
        }
        params: dict[str, Any] = {"key": key, "type": e["type"], "msg": e["msg"], **ctx}
        if not secret and not isinstance(found, dict):
            params["found"] = repr(found)
        problems.append(Problem(text, "BAD_VALUE", params))
    return problems


# One @, something on each side, no spaces: 'reconciler@@host' and 'it-assets' are refused.
_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def semantic_problems(config: Config) -> list[Problem]:
    """Checks pydantic cannot express: domains of addresses, SMTP password present."""
    problems = []
    inv = config.inventory
    if inv.source in FILE_SOURCES and inv.path is None:
        problems.append(
            Problem(
                f"key 'inventory.path': inventory.source '{inv.source}' reads a file or "
                "folder; set inventory.path to it",
                "INVENTORY_PATH_NEEDED",
                {"source": inv.source},
            )
        )
    if inv.source not in FILE_SOURCES:
        for key in ("url", "token_env"):
            if not getattr(inv, key):
                problems.append(
                    Problem(
                        f"key 'inventory.{key}': inventory.source '{inv.source}' needs it "
                        "(token_env is the NAME of the environment variable holding the token)",
                        f"INVENTORY_{key.upper()}_NEEDED",
                        {"source": inv.source},
                    )
                )
    if inv.source == "glpi" and not inv.app_token_env:
        problems.append(
            Problem(
                "key 'inventory.app_token_env': GLPI needs an App-Token; name the environment "
                "variable that holds it",
                "GLPI_APP_TOKEN_NEEDED",
            )
        )
    mail = config.mail
    for key, address in mail.all_addresses().items():
        if not _ADDRESS.fullmatch(parseaddr(address)[1] or address):
            problems.append(
                Problem(
                    f"key '{key}': expected an email address such as name@example.com, "
                    f"found {address!r}",
                    "BAD_ADDRESS",
                    {"key": key, "found": address},
                )
            )
        elif mail.allowed_domains and address.rsplit("@", 1)[1].lower() not in mail.allowed_domains:
            domains = ", ".join(mail.allowed_domains)
            problems.append(
                Problem(
                    f"key '{key}': {address!r} is outside mail.allowed_domains ({domains}); "
                    "fix the address or allow its domain",
                    "ADDRESS_OUTSIDE_DOMAINS",
                    {"key": key, "found": address, "domains": domains},
                )
            )
    if mail.smtp.ssl and mail.smtp.starttls:
        problems.append(
            Problem(
                "key 'mail.smtp': ssl and starttls are exclusive; set one to false",
                "SSL_AND_STARTTLS",
            )
        )
    for folder, scope in config.scope.by_folder.items():
        if scope.empty:
            problems.append(
                Problem(
                    f"key 'scope.by_folder.{folder}': names nothing; list locations, "
                    "custodians or fields, or set whole_inventory: true",
                    "SCOPE_EMPTY",
                    {"key": f"scope.by_folder.{folder}"},
                )
            )
        for kind, values in (("locations", scope.locations), ("custodians", scope.custodians)):
            problems += _pattern_problems(f"scope.by_folder.{folder}.{kind}", values)
        for column, values in scope.fields.items():
            problems += _pattern_problems(f"scope.by_folder.{folder}.fields.{column}", values)
    if mail.transport == "smtp" and mail.smtp.username and not mail.smtp.password_env:
        problems.append(
            Problem(
                "key 'mail.smtp.password_env': a username is set but no password_env; name "
                "the environment variable that holds the password (the password never goes "
                "in the file)",
                "PASSWORD_ENV_NEEDED",
            )
        )
    return problems


def _pattern_problems(key: str, values: list[str]) -> list[Problem]:
    problems = []
    for i, value in enumerate(values):
        where = f"{key}[{i}]"
        if value.startswith("re:"):
            try:
                re.compile(value[3:])
            except re.error as e:
                problems.append(
                    Problem(
                        f"key '{where}': {value!r} is not a regular expression ({e}); fix it, "
                        "or drop 're:' to compare the name as written",
                        "BAD_PATTERN",
                        {"key": where, "found": value, "detail": str(e)},
                    )
                )
        elif not value.strip(" *"):
            problems.append(
                Problem(
                    f"key '{where}': expected a name, a prefix* or re:pattern",
                    "EMPTY_PATTERN",
                    {"key": where},
                )
            )
    return problems


def yaml_problem(error: yaml.YAMLError) -> Problem:
    """Unreadable YAML: where (line and column, 1-based as an editor shows them) and why."""
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    why = getattr(error, "problem", None) or str(error)
    return Problem(
        f"not valid YAML: {error}",
        "BAD_YAML" if line is not None else "BAD_YAML_NOWHERE",
        {"line": line, "column": column, "detail": why},
    )


def drop_value(raw: dict[str, Any], loc: tuple[Any, ...]) -> bool:
    """Drop the value at `loc` so the setting falls back to its default; False if nothing was
    there to drop (a required key that is missing)."""
    node: Any = raw
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False
