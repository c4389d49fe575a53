"""POST an alert's JSON to a webhook (Slack incoming webhooks and anything that takes JSON).

``Idempotency-Key`` carries the alert's id: a resend after a lost reply carries the same one,
so a receiver that honours it shows the alert once.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from storage.exceptions import DeliveryError, DeliveryUncertainError


class WebhookSender:
    def __init__(self, url: str, *, timeout: float = 10.0, user_agent: str = "newsmon") -> None:
        self.url = url
        self.timeout = timeout
        self.user_agent = user_agent

    def post(self, payload: bytes, *, key: str) -> None:
        """Raise DeliveryError when refused, DeliveryUncertainError when the answer was lost."""
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": key,
                "User-Agent": self.user_agent,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                resp.read(65536)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"webhook answered HTTP {exc.code}") from None
        except TimeoutError as exc:
            raise DeliveryUncertainError(f"webhook did not answer in time: {exc}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable: {reason}") from None
