"""Studies: one YAML binds questionnaire, data, screening, models, groups and report."""
from .export import write_results
from .load import Study, load_study
from .run import StudyResults, run_study

__all__ = ["Study", "StudyResults", "load_study", "run_study", "write_results"]
