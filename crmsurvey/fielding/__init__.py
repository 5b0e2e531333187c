"""From the questionnaire YAML to the field: the printed questionnaire, the codebook,
and survey-platform files (Qualtrics ``.qsf`` export and import, LimeSurvey TSV)."""
from __future__ import annotations

from .instrument import Question, question_numbers, questions
from .printed import print_questionnaire, questionnaire_html

__all__ = ["Question", "questions", "question_numbers", "print_questionnaire",
           "questionnaire_html"]
