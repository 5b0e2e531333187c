"""Questionnaires: the YAML schema, loading with file:line errors, lavaan syntax."""
from .load import load_questionnaire, parse_questionnaire
from .questionnaire import Questionnaire

__all__ = ["Questionnaire", "load_questionnaire", "parse_questionnaire"]
