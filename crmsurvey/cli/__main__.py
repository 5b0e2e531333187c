"""``python -m crmsurvey.cli``."""
from . import run

run()
