import pytest

from crmsurvey.errors import ModelSyntaxError
from crmsurvey.model import parse_model

ECSI = """
# the ECSI model (REFERENCE.md)
Image =~ IMAG1 + IMAG2 +
         IMAG3
Value <~ PERV1 + PERV2 ; Loyalty =~ CUSL1
Value ~ Image
Loyalty ~ 0.5*Value + Image
IMAG1 ~~ IMAG2
"""


def test_parses_blocks_paths_modes_and_continuations():
    spec = parse_model(ECSI)
    assert spec.construct_names == ("Image", "Value", "Loyalty")
    assert spec.construct("Image").items == ("IMAG1", "IMAG2", "IMAG3")
    assert spec.construct("Value").mode == "B"
    assert spec.paths == (("Value", "Image"), ("Loyalty", "Value"), ("Loyalty", "Image"))
    assert spec.covariances == (("IMAG1", "IMAG2"),)


def test_round_trip_through_lavaan_text():
    spec = parse_model(ECSI)
    again = parse_model(spec.to_lavaan())
    assert again.constructs == spec.constructs and again.paths == spec.paths


@pytest.mark.parametrize("text, where", [
    ("A =~ x1 + x2\nB x3", ":2:"),
    ("A =~ x1 + \nB =~ 3y", ":1:"),
    ("A =~ x1\nA =~ x2", ":2:"),
    ("A ~ B", "defines no construct"),
])
def test_errors_name_the_line(text, where):
    with pytest.raises(ModelSyntaxError) as err:
        parse_model(text)
    assert where in str(err.value)
    assert "\n" not in str(err.value)
