"""One HTTP client for the inventory APIs (Snipe-IT, GLPI): token from the environment,
timeouts, retries with growing pauses, and every failure said in the user's terms.

The token is read from the environment variable NAMED by `inventory.token_env`, never from the
file, and never appears in a message. A refused token is a configuration error naming that
variable; 429 and 503 (and timeouts, dropped connections) are retried, honouring Retry-After;
anything else the server answers wrongly is an InventoryError naming the URL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import httpx

from reconciler.config import InventoryConfig
from reconciler.errors import ConfigError, InventoryError, Problem

log = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
FIRST_PAUSE_SECONDS = 0.5  # then 1, 2, 4 ... up to MAX_PAUSE_SECONDS
MAX_PAUSE_SECONDS = 30.0


def env_secret(key: str, name: str | None, what: str) -> str:
    """The value of the environment variable `name` (configured under `key`)."""
    if not name:
        raise ConfigError(
            Problem(
                f"key '{key}': name the environment variable that holds the {what}",
                "SECRET_ENV_UNNAMED",
                {"key": key},
            )
        )
    value = os.environ.get(name)
    if not value:
        raise ConfigError(
            Problem(
                f"key '{key}': the environment variable {name} is not set or empty; "
                f"put the {what} there (never in config.yaml)",
                "VARIABLE_NOT_SET",
                {"key": key, "name": name},
            )
        )
    return value


class ApiClient:
    """GET/POST JSON with the source's timeouts and retries; `tool` names it in messages."""

    def __init__(
        self,
        source: InventoryConfig,
        *,
        tool: str,
        headers: dict[str, str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not source.url:
            raise ConfigError(
                Problem(
                    f"key 'inventory.url': the {tool} API needs its base URL",
                    "INVENTORY_URL_NEEDED",
                    {"source": tool},
                )
            )
        self.source = source
        self.tool = tool
        self.base = source.url.rstrip("/")
        self.sleep = sleep
        self.client = httpx.Client(
            headers={"Accept": "application/json", **headers},
            timeout=httpx.Timeout(source.timeout_seconds),
            follow_redirects=False,  # a redirect to a login page is not an answer
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        """The response (status in `ok`), after retries; ConfigError for a refused token."""
        url = f"{self.base}/{path.lstrip('/')}"
        attempts = self.source.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self.client.request(method, url, params=params, headers=headers)
            except httpx.TimeoutException:
                if last:
                    raise InventoryError(
                        f"the {self.tool} API at {url} did not answer within "
                        f"{self.source.timeout_seconds:g} s ({attempts} attempts)",
                        hint="check the server, or raise inventory.timeout_seconds",
                    ) from None
                self._pause(attempt, None, "timed out")
                continue
            except httpx.TransportError as e:
                if last:
                    raise InventoryError(
                        f"the {self.tool} API at {url} cannot be reached ({e})",
                        hint="check inventory.url and the network",
                    ) from None
                self._pause(attempt, None, str(e))
                continue
            if response.status_code in (401, 403):
                raise ConfigError(
                    Problem(
                        f"key 'inventory.token_env': the {self.tool} API at {self.base} refused "
                        f"the token from the environment variable {self.source.token_env} "
                        f"({response.status_code}); put a valid API token there",
                        "TOKEN_REFUSED",
                        {
                            "source": self.tool,
                            "url": self.base,
                            "name": self.source.token_env,
                            "status": response.status_code,
                        },
                    )
                )
            if response.status_code in RETRIED_STATUSES and not last:
                self._pause(attempt, response.headers.get("Retry-After"), response.status_code)
                continue
            if response.status_code not in ok:
                raise InventoryError(
                    f"the {self.tool} API at {url} answered {response.status_code} "
                    f"{response.reason_phrase}: {_snippet(response.text)}",
                    hint="check inventory.url and the server's log",
                )
            return response
        raise AssertionError("unreachable: the last attempt returns or raises")

    def json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise InventoryError(
                f"the {self.tool} API at {response.request.url} answered something that is not "
                f"JSON: {_snippet(response.text)}",
                hint="check inventory.url points at the API, not at a web page or a proxy",
            ) from None

    def get_json(self, path: str, **params: Any) -> tuple[Any, httpx.Response]:
        response = self.request("GET", path, params=params or None)
        return self.json(response), response

    def _pause(self, attempt: int, retry_after: str | None, why: object) -> None:
        pause = min(FIRST_PAUSE_SECONDS * 2**attempt, MAX_PAUSE_SECONDS)
        if retry_after is not None:
            with contextlib.suppress(ValueError):  # an HTTP date: keep our own pause
                pause = min(max(float(retry_after), 0.0), MAX_PAUSE_SECONDS)
        log.warning("%s API: %s; retrying in %.1f s", self.tool, why, pause)
        self.sleep(pause)


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat[:120] + ("..." if len(flat) > 120 else ""))
