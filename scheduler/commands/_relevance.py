"""Shared by the relevance commands: where the seeds and the model live, and loading it."""

from __future__ import annotations

from pathlib import Path

from crawler.relevance import ModelStore, RelevanceModel, load_model
from scheduler.context import Context


def seeds_dir(ctx: Context) -> Path:
    """The seeds to train from (see :attr:`scheduler.config.Config.seeds_path`)."""
    return ctx.config.seeds_path


def model_dir(ctx: Context) -> Path:
    return ctx.config.resolve(ctx.config.relevance.model_dir)


def model_store(ctx: Context) -> ModelStore:
    return ModelStore(model_dir(ctx))


def current_model(ctx: Context) -> RelevanceModel:
    """The current model (trained from the seeds and saved on first use)."""
    return load_model(model_dir(ctx), seeds_dir(ctx), ctx.config.relevance.threshold)
