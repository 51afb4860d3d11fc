"""`crebis check`: readability, plain language and accessibility findings on content, before anything is built."""

from pipeline.checks.findings import CheckReport, DocumentStats, Finding
from pipeline.checks.runner import check_project

__all__ = ["CheckReport", "DocumentStats", "Finding", "check_project"]
