"""Responses: read data files, check them against the questionnaire, screen, log."""
from .load import Responses, load_responses
from .log import CleaningLog, Problem
from .readers import read_table
from .screening import RULES

__all__ = ["CleaningLog", "Problem", "RULES", "Responses", "load_responses", "read_table"]
