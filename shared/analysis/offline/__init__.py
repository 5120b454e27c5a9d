"""The offline analyzer: deterministic clause alignment, change detection and extractive answers (no LLM)."""

from shared.analysis.offline.analyzer import MODEL_NAME, OfflineAnalyzer

__all__ = ["MODEL_NAME", "OfflineAnalyzer"]
