"""Immediate alerts: a short email and/or a Slack-compatible webhook POST per big story."""
